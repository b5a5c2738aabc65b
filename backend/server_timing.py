"""Server-side request timing: ``X-Server-Time`` (milliseconds) and ``Server-Timing: app;dur=…``.

Measured from the first ``before_request`` to the last ``after_request`` (so it includes the view,
JSON encoding and the commit), not the network or the WSGI server. The card benchmark
(``bench/card.py``) reads it to get server-side percentiles.
"""

from __future__ import annotations

import time

from flask import Flask, g


def register_server_timer(app: Flask) -> None:
    """Register *before* the commit point: after-request functions run in reverse order."""

    @app.before_request
    def _start() -> None:
        g._t0 = time.perf_counter()

    @app.after_request
    def _stop(response):
        t0 = g.get("_t0")
        if t0 is not None:
            ms = (time.perf_counter() - t0) * 1000
            response.headers["X-Server-Time"] = f"{ms:.3f}"
            response.headers["Server-Timing"] = f"app;dur={ms:.3f}"
        return response

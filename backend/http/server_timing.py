"""Server-side request timing: ``X-Server-Time`` (milliseconds) and ``Server-Timing: app;dur=…``.

Measured from the start of the request pipeline's first hook to the end of its last
(``backend/http/pipeline.py``): the rate limit check, the view, JSON encoding and the commit, not the network
or the WSGI server. The card benchmark (``bench/card.py``) reads it to get server-side percentiles.
"""

from __future__ import annotations

import time

_T0 = "credit.t0"  # kept in the WSGI environ: one per request, whatever app context is pushed


def start(environ: dict) -> None:
    environ[_T0] = time.perf_counter()


def stamp(response, environ: dict):
    t0 = environ.get(_T0)
    if t0 is not None:
        ms = (time.perf_counter() - t0) * 1000
        headers = response.headers
        headers["X-Server-Time"] = value = f"{ms:.3f}"
        headers["Server-Timing"] = f"app;dur={value}"
    return response

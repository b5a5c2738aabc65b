"""One log line when a backing service stops answering, one when it answers again — not one per request.

A Redis outage used to log a full traceback per request (3.6 MB in 20 s). :class:`Outage` is the
breaker the key-value store (backend/platform/store.py) and the rate limits (backend/http/ratelimit.py)
share: the first failure logs a warning (the error's type and text, no traceback), later failures
and the operations skipped meanwhile only count, and the first success after logs one line with the
count and the duration. While an outage lasts, :meth:`should_try` lets one call through every
``retry_after`` seconds, so requests do not each wait for a connect timeout.
"""

from __future__ import annotations

import logging
import threading
import time


class Outage:
    """The state of one backing service as this process sees it (thread-safe)."""

    def __init__(self, name: str, log: logging.Logger, retry_after: float = 5.0) -> None:
        self.name = name
        self.log = log
        self.retry_after = retry_after
        self.active = False
        self.failures = 0
        self._since = 0.0
        self._next_try = 0.0
        self._lock = threading.Lock()

    def should_try(self) -> bool:
        """False while an outage lasts, except for one call every ``retry_after`` seconds."""
        if not self.active:
            return True
        with self._lock:
            now = time.monotonic()
            if now >= self._next_try:
                self._next_try = now + self.retry_after
                return True
        return False

    def failed(self, exc: BaseException | None = None) -> None:
        """A call failed (or was skipped): the first one of an outage logs a warning, the rest count."""
        with self._lock:
            self.failures += 1
            if self.active:
                return
            self.active = True
            self.failures = 1
            self._since = time.monotonic()
            self._next_try = self._since + self.retry_after
        detail = f"{type(exc).__name__}: {exc}" if exc is not None else "no answer"
        self.log.warning("%s stopped answering (%s); carrying on without it, retrying every %.0f s",
                         self.name, detail, self.retry_after)

    def recovered(self) -> None:
        """A call succeeded: if an outage was on, log its end once, with the count."""
        if not self.active:
            return
        with self._lock:
            if not self.active:
                return
            self.active = False
            failures, lasted = self.failures, time.monotonic() - self._since
            self.failures = 0
        self.log.warning("%s answers again after %.1f s; %d operations failed or were skipped meanwhile",
                         self.name, lasted, failures)

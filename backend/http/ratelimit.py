"""Rate limits on the ``limits`` library: logins and public reads per IP, writes per user and per IP.

The limits, checked by the request pipeline (backend/http/pipeline.py) before any view code runs:

- ``login``: ``RATELIMIT_LOGIN`` per client IP on the login endpoints (``LOGIN_PATHS``);
- ``write-user``: ``RATELIMIT_WRITE`` per signed-in user on every POST/PUT/PATCH/DELETE under
  ``/miniapp/v1`` and ``/staff/v1``;
- ``write-ip``: ``RATELIMIT_WRITE`` per client IP on the same writes (also before login);
- ``public``: ``RATELIMIT_PUBLIC`` per client IP on everything under ``/public/v1`` (public firm
  cards, shared-card views): no login there, so the IP is the only handle on a scraper;
- ``download-user`` / ``download-ip``: ``RATELIMIT_DOWNLOAD`` per signed-in user and per client IP on
  the GETs that build a file (the commitment letter PDF, the monthly report XLSX): views marked
  with :func:`heavy_read`. Ordinary reads stay unlimited.

The console's login form (``/staff/login``) counts against ``login`` like the API logins: a per-IP
limit on top of the per-(username, client) throttle of backend/staff/login_throttle.py.

Keying on the user: the pipeline checks limits before the auth decorators run, so the ``write-user``
limit reads the bearer token itself (:func:`token_subject`): it checks the token's signature and age
(no database query) and keys on its subject, ``account:17`` or ``staff:3``. A forged or expired
token gets no per-user bucket; the view answers 401 anyway and the per-IP limit still counts it.

Fixed windows, as before. A 429 has the usual error shape, reason ``rate_limited``, and
``Retry-After`` in seconds until the breached window resets (:func:`retry_after_seconds`, used by
backend/http/errors.py); every checked response carries ``X-RateLimit-Limit`` / ``-Remaining`` /
``-Reset`` of its tightest limit.

Counters live in each app's own :class:`AppRateLimits` (``app.extensions``): with ``memory://`` each
app counts alone, with Redis every app (every node) shares them. When Redis stops answering, each
node keeps limiting in its own memory rather than failing requests, logs one warning when the outage
starts and one line with a count when Redis answers again (backend/platform/outage.py), and tries
Redis again every few seconds.

Behind a reverse proxy ``request.remote_addr`` must be the client's address: run gunicorn behind
werkzeug's ``ProxyFix`` (``TRUSTED_PROXIES``), or every client shares one IP bucket.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.platform.errors import Unauthorized
from backend.platform.outage import Outage

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIMITED_PREFIXES = ("/miniapp/v1/", "/staff/v1/")
PUBLIC_PREFIX = "/public/v1/"
LOGIN_PATHS = frozenset({"/miniapp/v1/auth/login", "/staff/v1/auth/login", "/staff/login"})
_HEAVY_MARK = "credit_heavy_read"

# The limit strings come from the config at each request; parse each distinct one once.
_parse = functools.lru_cache(maxsize=64)(parse)
_EXT_KEY = "ratelimits"
_SUBJECT_KEY = "credit.token_subject"
_HEADER_KEY = "credit.ratelimit_header"


class RateLimitExceeded(TooManyRequests):
    """A limit was breached; ``retry_after`` is the seconds until its window resets."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Hit:
    amount: int
    remaining: int
    reset_at: float  # epoch seconds


class AppRateLimits:
    """One app's limits: its storage (Redis or memory), the memory fallback, and its on/off switch."""

    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        options = {"socket_timeout": 1, "socket_connect_timeout": 1} if uri.startswith("redis") else {}
        self.storage: Storage = storage_from_string(uri, **options)
        self.fallback = MemoryStorage()
        # While Redis is down, one request every 5 s tries it again (and pays its timeout).
        self.outage = Outage("rate-limit storage (Redis)", log, retry_after=5.0)
        self._primary = FixedWindowRateLimiter(self.storage)
        self._backup = FixedWindowRateLimiter(self.fallback)

    def hit(self, item: RateLimitItem, scope: str, key: str) -> tuple[bool, _Hit]:
        """Count one request against ``item`` for (scope, key): whether it is allowed, and the window."""
        strategy = self._primary
        if self.outage.should_try():
            try:
                allowed = strategy.hit(item, scope, key)
                stats = strategy.get_window_stats(item, scope, key)
            except self.storage.base_exceptions as exc:  # Redis stopped answering: count in memory
                self.outage.failed(exc)
                strategy = self._backup
            else:
                self.outage.recovered()
        else:
            self.outage.failed()  # skipped while the outage lasts: counted, not logged
            strategy = self._backup
        if strategy is self._backup:
            allowed = strategy.hit(item, scope, key)
            stats = strategy.get_window_stats(item, scope, key)
        return allowed, _Hit(item.amount, stats.remaining, stats.reset_time)


class RateLimits:
    """The process-wide entry point the pipeline calls; the state is per app (:class:`AppRateLimits`)."""

    def init_app(self, app: Flask) -> None:
        app.extensions[_EXT_KEY] = AppRateLimits(app)

    @staticmethod
    def _state() -> AppRateLimits:
        return current_app.extensions[_EXT_KEY]

    @property
    def storage(self) -> Storage:
        """This app's counter storage (``MemoryStorage`` or ``RedisStorage``)."""
        return self._state().storage

    def check_shared_limits(self) -> None:
        """Count this request against the limits that apply to it; raises :class:`RateLimitExceeded`."""
        state = self._state()
        if not state.enabled:
            return
        checks = _applicable()
        if not checks:
            return
        tightest: _Hit | None = None
        for setting, scope, key in checks:
            item = _parse(current_app.config[setting])
            allowed, hit = state.hit(item, scope, key)
            if not allowed:
                request.environ[_HEADER_KEY] = hit
                raise RateLimitExceeded(max(1, math.ceil(hit.reset_at - time.time())))
            if tightest is None or hit.remaining < tightest.remaining:
                tightest = hit
        request.environ[_HEADER_KEY] = tightest

    @staticmethod
    def add_headers(response):
        """``X-RateLimit-*`` of the tightest limit on the response, when a limit was checked."""
        hit = request.environ.get(_HEADER_KEY)
        if hit is not None:
            response.headers["X-RateLimit-Limit"] = str(hit.amount)
            response.headers["X-RateLimit-Remaining"] = str(hit.remaining)
            response.headers["X-RateLimit-Reset"] = str(math.ceil(hit.reset_at))
        return response


# --- who is asking -----------------------------------------------------------------------------


def client_ip() -> str:
    return request.remote_addr or "unknown"


def token_subject() -> str | None:
    """``account:<id>`` / ``staff:<id>`` from a valid bearer token, else None (cached per request)."""
    # Cached on the request itself: ``g`` belongs to the app context, which tests (and CLI code)
    # may keep open across several requests.
    if _SUBJECT_KEY in request.environ:
        return request.environ[_SUBJECT_KEY]
    subject = None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        cfg = current_app.config
        for purpose, field, kind, ttl in (
            (ACCOUNT_TOKEN, "a", "account", cfg["ACCESS_TOKEN_TTL"]),
            (STAFF_TOKEN, "s", "staff", cfg["STAFF_TOKEN_TTL"]),
        ):
            try:
                payload = verify(cfg["SECRET_KEY"], purpose, token, ttl)
            except Unauthorized:
                continue
            if isinstance(payload, dict) and payload.get(field) is not None:
                subject = f"{kind}:{payload[field]}"
                break
    request.environ[_SUBJECT_KEY] = subject
    return subject


def heavy_read(view):
    """Mark a GET view that builds a file (a PDF, a spreadsheet): it counts against
    ``RATELIMIT_DOWNLOAD`` per user and per IP. Works on a view function or a ``MethodView`` method."""
    setattr(view, _HEAVY_MARK, True)
    return view


def _is_heavy_read() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the mark is on its method (HEAD runs ``get``)
        view = getattr(view_class, "get", None)
    return bool(getattr(view, _HEAVY_MARK, False))


def _applicable() -> list[tuple[str, str, str]]:
    """(setting, scope, key) of every limit this request counts against; cheap for unlimited reads."""
    path = request.path
    if path.startswith(PUBLIC_PREFIX):
        return [("RATELIMIT_PUBLIC", "public", client_ip())]
    method = request.method
    if method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view: it builds the file too
        if not _is_heavy_read():
            return []
        subject = token_subject()
        checks = [("RATELIMIT_DOWNLOAD", "download-user", subject)] if subject is not None else []
        return [*checks, ("RATELIMIT_DOWNLOAD", "download-ip", client_ip())]
    checks = []
    if method == "POST" and path.rstrip("/") in LOGIN_PATHS:
        checks.append(("RATELIMIT_LOGIN", "login", client_ip()))
    if method not in WRITE_METHODS or not path.startswith(LIMITED_PREFIXES):
        return checks
    subject = token_subject()
    if subject is not None:
        checks.append(("RATELIMIT_WRITE", "write-user", subject))
    checks.append(("RATELIMIT_WRITE", "write-ip", client_ip()))
    return checks


def retry_after_seconds(err: Exception) -> int:
    """Seconds until the breached limit's window resets (at least 1), for ``Retry-After``."""
    retry = getattr(err, "retry_after", None)
    if isinstance(retry, int | float) and retry > 0:
        return math.ceil(retry)
    return 60

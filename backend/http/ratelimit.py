"""Rate limits (Flask-Limiter): login attempts per IP, and every write per user and per IP.

The limits, all applied in Flask-Limiter's ``before_request`` hook, before any view code runs:

- ``login``: ``RATELIMIT_LOGIN`` per client IP on the login endpoints (``LOGIN_PATHS``);
- ``write-user``: ``RATELIMIT_WRITE`` per signed-in user on every POST/PUT/PATCH/DELETE under
  ``/miniapp/v1`` and ``/staff/v1``;
- ``write-ip``: ``RATELIMIT_WRITE`` per client IP on the same writes (also before login).

Keying on the user: ``account_required`` / ``staff_required`` set ``g.rate_key`` only when the view
runs — after ``before_request``. So the ``write-user`` limit reads the bearer token itself
(:func:`token_subject`): it checks the token's signature and age (no database query) and keys on
its subject, ``account:17`` or ``staff:3``. A forged or expired token gets no per-user bucket; the
view answers 401 anyway and the per-IP limit still counts it. Limits written by other contexts with
``@limiter.limit(...)`` on a view (placed *below* the auth decorator) see ``g.rate_key``.

A 429 has the usual error shape, reason ``rate_limited``, and ``Retry-After`` in seconds until the
window resets (:func:`retry_after_seconds`, used by backend/http/errors.py).

Several apps in one process (one per test; an app and a CLI app): Flask-Limiter keeps its storage
on the ``Limiter`` object, so the last ``init_app`` would silently take over every app's counters.
:class:`AppLimiter` keeps the storage (and on/off switch) per app in ``app.extensions``. With
``memory://`` each app counts alone; with Redis every app (every node) shares the counters — as it
must, since nodes of one deployment serve the same users.

Behind a reverse proxy ``request.remote_addr`` must be the client's address: run gunicorn behind
werkzeug's ``ProxyFix`` (or the proxy's real-IP module), or every client shares one IP bucket.
"""

from __future__ import annotations

import math
import time
from functools import partial

from flask import current_app, has_app_context, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter._compat import request_context
from flask_limiter.errors import RateLimitExceeded

from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.platform.errors import Unauthorized

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIMITED_PREFIXES = ("/miniapp/v1/", "/staff/v1/")
LOGIN_PATHS = frozenset({"/miniapp/v1/auth/login", "/staff/v1/auth/login"})

_STATE_KEY = "limiter_state"
_SUBJECT_KEY = "credit.token_subject"
_PER_APP = ("enabled", "_storage", "_limiter", "_storage_dead", "_fallback_limiter", "_fallback_storage")


class AppLimiter(Limiter):
    """A ``Limiter`` whose storage and on/off switch belong to each app, not to the object."""

    def __init__(self, *args, **kwargs) -> None:
        self.__dict__["_app_defaults"] = {}
        self.__dict__["_initialising"] = None
        super().__init__(*args, **kwargs)

    def _state(self) -> dict:
        app = self.__dict__["_initialising"]
        if app is not None:
            return app.extensions.setdefault(_STATE_KEY, {})
        if has_app_context():
            state = current_app.extensions.get(_STATE_KEY)
            if state is not None:
                return state
        return self.__dict__["_app_defaults"]

    def init_app(self, app) -> None:
        app.extensions[_STATE_KEY] = {}
        self.__dict__["_initialising"] = app
        try:
            super().init_app(app)
        finally:
            self.__dict__["_initialising"] = None
        # Flask-Limiter registers three hooks of its own on every request. The request pipeline
        # (backend/http/pipeline.py) calls them itself instead, and only when they have work to do: the
        # shared limits for writes and logins, the headers and the clean-up once a limit was checked.
        if not app.extensions[_STATE_KEY].get("enabled"):  # RATELIMIT_ENABLED off: Flask-Limiter registered nothing
            return
        _detach(app.before_request_funcs, lambda fn: getattr(fn, "__func__", None) is AppLimiter._check_request_limit)
        _detach(app.after_request_funcs, lambda fn: isinstance(fn, partial) and fn.func is Limiter._Limiter__inject_headers)
        _detach(app.teardown_request_funcs,
                lambda fn: getattr(fn, "__func__", None) is Limiter._Limiter__release_context)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        # The shared limits apply to writes and logins only; for every other request Flask-Limiter
        # would still resolve and exempt them one by one (~0.1 ms, a quarter of a warm me/card).
        # A view's own ``@limiter.limit`` is still checked: its decorator calls in with
        # ``in_middleware=False``. (A limit on a whole blueprint would need this check extended.)
        if in_middleware and not (_is_limited_write() or _is_login()):
            return
        super()._check_request_limit(callable_name, in_middleware)

    # --- called by the request pipeline (backend/http/pipeline.py) ---------------------------------------

    def check_shared_limits(self) -> None:
        """The login and write limits (raises ``RateLimitExceeded``); nothing for other requests."""
        if self.enabled:
            self._check_request_limit(None, True)

    def add_headers(self, response):
        """``X-RateLimit-*`` on the response, when a limit was checked for this request."""
        if hasattr(request_context(), "_limiter_request_context"):
            return self._Limiter__inject_headers(response)
        return response

    def release(self) -> None:
        """Forget this request's limiter state (if a limit was checked)."""
        if hasattr(request_context(), "_limiter_request_context"):
            self._Limiter__release_context()


def _detach(funcs_by_scope: dict, match) -> None:
    funcs = funcs_by_scope.get(None, [])
    found = [fn for fn in funcs if match(fn)]
    if len(found) != 1:  # a Flask-Limiter upgrade changed its hooks: fail loudly at start-up, not per request
        raise RuntimeError(f"expected one Flask-Limiter hook, found {len(found)}")
    funcs.remove(found[0])


def _per_app_attr(name: str) -> property:
    def get(self):
        state = self._state()
        return state[name] if name in state else self.__dict__["_app_defaults"].get(name)

    def put(self, value):
        self._state()[name] = value

    return property(get, put)


for _name in _PER_APP:
    setattr(AppLimiter, _name, _per_app_attr(_name))


# --- who is writing ----------------------------------------------------------------------------


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


def _is_limited_write() -> bool:
    return request.method in WRITE_METHODS and request.path.startswith(LIMITED_PREFIXES)


def _is_login() -> bool:
    return request.method == "POST" and request.path.rstrip("/") in LOGIN_PATHS


def application_limits() -> list[ApplicationLimit]:
    """The three shared limits; their rates are read from the app's config at each request."""
    return [
        ApplicationLimit(
            lambda: current_app.config["RATELIMIT_LOGIN"], key_function=client_ip, scope="login",
            exempt_when=lambda: not _is_login(),
        ),
        ApplicationLimit(
            lambda: current_app.config["RATELIMIT_WRITE"], key_function=lambda: token_subject() or "-",
            scope="write-user", exempt_when=lambda: not _is_limited_write() or token_subject() is None,
        ),
        ApplicationLimit(
            lambda: current_app.config["RATELIMIT_WRITE"], key_function=client_ip, scope="write-ip",
            exempt_when=lambda: not _is_limited_write(),
        ),
    ]


def retry_after_seconds(err: Exception) -> int:
    """Seconds until the breached limit's window resets (at least 1), for ``Retry-After``."""
    if isinstance(err, RateLimitExceeded) and has_app_context():
        from backend.http.extensions import limiter

        current = limiter.current_limit
        if current is not None:
            return max(1, math.ceil(current.reset_at - time.time()))
    retry = getattr(err, "retry_after", None)
    if isinstance(retry, int | float) and retry > 0:
        return math.ceil(retry)
    return 60

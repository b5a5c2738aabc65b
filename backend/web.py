"""Request plumbing shared by every blueprint: the commit point, who is calling, access checks.

Views stay thin: they parse input, call one service with ``get_session()`` and ``current_actor()``,
and return. The commit happens here, once, after the view returned a success; any error or a 4xx/5xx
response rolls back. After-commit hooks (jobs, cache invalidation, WeChat pushes) then run.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import IntegrityError

from backend import server_timing
from backend.cache import get_store
from backend.common.actor import Actor
from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.db import wants_commit_on_refusal
from backend.errors import Conflict, Forbidden, Unauthorized, ValidationFailed, error_body
from backend.extensions import get_session
from backend.nearcache import get_near_cache
from backend.subjects import account_cache

_REQUEST_KEYS = ("db_session", "actor", "rate_key")


class LazyCookieSessions(SecureCookieSessionInterface):
    """Flask's cookie session, minus the signing setup on requests that carry no session cookie.

    The APIs authenticate with bearer tokens and never send the cookie, yet Flask builds an
    itsdangerous serializer for every request to look for it (~20 µs, a tenth of a warm me/card).
    Without the cookie the result is the same empty session; setting it works as before.
    """

    def open_session(self, app, request):
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)


def register_request_pipeline(app: Flask) -> None:
    """Every request passes one hook of each kind, and they do, in this order:

    1. before the view (:func:`_begin_request`): start the server timer; give the request its own
       state; the shared rate limits (writes and logins); refuse NUL in the path or the query; the
       body guard (``backend/request_guard.py``: bad JSON, wrong media type, NUL, surrogates);
    2. after the view (:func:`_finish_request`): the commit point; rate-limit headers; the timer;
    3. teardown (:func:`_end_request`): release the session and the request's state.

    One function per kind rather than one per concern: Flask pays for every hook on every request
    (a lookup, ``ensure_sync``, a call and several context-local reads), and on a cached read such
    as ``me/card`` that overhead was most of the time spent in the app.
    """
    from backend.extensions import limiter
    from backend.request_guard import guard_request

    app.session_interface = LazyCookieSessions()
    limits = limiter  # Flask-Limiter's own hooks are detached in AppLimiter.init_app

    def _begin_request() -> None:
        env = request.environ
        server_timing.start(env)
        # Each request gets its own session and actor, even when an app context is already pushed
        # (CLI commands, tests): state from outside must not leak into the request, nor back out.
        state = vars(g._get_current_object())
        outer = {k: state.pop(k) for k in _REQUEST_KEYS if k in state}
        if outer:
            state["_outer_request_state"] = outer
        limits.check_shared_limits()  # before the guard: refused requests still count
        # PostgreSQL cannot store U+0000 in text: refuse it at the door, for every endpoint, rather
        # than let a driver error become a 500 deep inside a service. Path and query here (raw
        # environ: cheap on every read); bodies in the guard.
        if "\x00" in env.get("PATH_INFO", "") or "%00" in env.get("QUERY_STRING", ""):
            raise ValidationFailed("nul_character", "提交的内容含有无法识别的字符（空字符），请删除后重试。")
        guard_request()

    def _finish_request(response):
        sess = g.get("db_session")
        if sess is not None:
            response = _commit(sess, response)
        return server_timing.stamp(limits.add_headers(response), request.environ)

    def _end_request(exc) -> None:
        state = vars(g._get_current_object())
        sess = state.pop("db_session", None)
        # A session that never began and holds nothing (a cache hit) has nothing to release.
        if sess is not None and (sess.in_transaction() or sess.identity_map):
            if exc is not None:
                sess.rollback()
            sess.close()
        for k in _REQUEST_KEYS:
            state.pop(k, None)
        outer = state.pop("_outer_request_state", None)
        if outer:
            state.update(outer)
        limits.release()

    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)


def _commit(sess, response):
    """The one commit point: commit a success, roll back an error (unless a service asked to keep it)."""
    if not sess.in_transaction() and not sess.info:
        # The view took a session but ran no SQL (a cache hit) and left nothing pending (no
        # after-commit hook, no flag in ``info``): there is nothing to commit.
        return response
    keep = wants_commit_on_refusal(sess)
    if response.status_code >= 500 or (response.status_code >= 400 and not keep):
        sess.rollback()
        return response
    try:
        sess.commit()
    except IntegrityError:
        # Two requests raced for the same unique thing; the loser is told plainly.
        sess.rollback()
        err = Conflict("conflict", "该操作已被处理或与当前状态冲突，请刷新后重试。")
        response = current_app.response_class(
            current_app.json.dumps(error_body(409, err.reason, err.message)),
            status=409,
            mimetype="application/json",
        )
    return response


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("token_missing", "请先登录。")
    return token.strip()


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized("token_missing", "请先登录。")
    return actor


class _VerifiedTokens:
    """Access tokens this process has verified: token → (payload, signing time).

    Checking an itsdangerous signature (two HMACs, base64, JSON) is the largest cost left on a warm
    ``me/card``, and a mini-program sends the same token for up to ``ACCESS_TOKEN_TTL``. A token
    found here had a valid signature under this app's secret; its age is checked again at every
    use, so it expires exactly when :func:`backend.common.tokens.verify` would say so.
    """

    MAX = 20_000

    def __init__(self, secret: str, purpose: str) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self.serializer = URLSafeTimedSerializer(secret, salt=purpose)
        self.secret, self.purpose = secret, purpose
        self.data: dict[str, tuple[dict, float]] = {}

    def known(self, token: str, max_age: int) -> dict | None:
        """The payload of a token verified before and still within ``max_age``; None otherwise (no check here)."""
        hit = self.data.get(token)
        if hit is not None and 0 <= time.time() - hit[1] <= max_age:
            return hit[0]
        return None

    def payload(self, token: str, max_age: int) -> dict:
        hit = self.data.get(token)
        if hit is not None and 0 <= time.time() - hit[1] <= max_age:
            return hit[0]
        try:
            payload, signed_at = self.serializer.loads(token, max_age=max_age, return_timestamp=True)
        except Exception:
            self.data.pop(token, None)
            return verify(self.secret, self.purpose, token, max_age)  # raises the plain refusal
        if isinstance(payload, dict):
            if len(self.data) >= self.MAX:
                self.data.clear()  # rare; simpler and cheaper than an LRU on every hit
            self.data[token] = (payload, signed_at.timestamp())
        return payload


def verified_account_tokens(app: Flask) -> _VerifiedTokens:
    cfg = app.config
    memo = app.extensions.get("verified_account_tokens")
    if memo is None or memo.secret != cfg["SECRET_KEY"]:
        memo = app.extensions["verified_account_tokens"] = _VerifiedTokens(cfg["SECRET_KEY"], ACCOUNT_TOKEN)
    return memo


def _account_token_payload(token: str) -> dict:
    app = current_app._get_current_object()
    return verified_account_tokens(app).payload(token, app.config["ACCESS_TOKEN_TTL"])


def load_account_actor(token: str) -> Actor:
    """The account behind a valid access token, if it exists and is not disabled.

    Its state comes from the shared account cache (``backend.subjects.account_cache``: a hit runs
    no SQL and opens no session); a miss reads the database and fills the cache. Disabling an
    account or binding/unbinding its identity invalidates the entry after commit, so the change
    holds from the very next request on every node.
    """
    cfg = current_app.config
    payload = _account_token_payload(token)
    account_id = payload.get("a") if isinstance(payload, dict) else None
    if type(account_id) is not int:
        raise Unauthorized("token_invalid", "登录信息无效，请重新登录。")
    ttl = cfg.get("ACCOUNT_CACHE_TTL", account_cache.DEFAULT_TTL)
    store = get_store() if ttl > 0 else None
    state, tag = account_cache.read(store, account_id, get_near_cache()) if store is not None else (None, None)
    if state is None:
        state = account_cache.AccountState.load(get_session(), account_id)
        if store is not None:
            account_cache.write(store, account_id, tag, state, ttl)
    if not state.usable:
        raise Forbidden("account_disabled", "该账号不可用，请联系客服。")
    return Actor("account", account_id, person_id=state.person_id, ip=request.remote_addr)


def account_required(fn: Callable) -> Callable:
    """Mini-program endpoints: a valid access token from ``POST /miniapp/v1/auth/login``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        g.actor = load_account_actor(_bearer())
        g.rate_key = g.actor.ref
        return fn(*args, **kwargs)

    return wrapper


def load_staff_actor(token: str) -> Actor:
    from backend.staff.models import StaffUser

    cfg = current_app.config
    payload = verify(cfg["SECRET_KEY"], STAFF_TOKEN, token, cfg["STAFF_TOKEN_TTL"])
    user = get_session().get(StaffUser, payload.get("s"))
    if user is None or not user.active or user.token_version != payload.get("v"):
        raise Unauthorized("token_revoked", "登录已失效，请重新登录。")
    # A lockout (too many wrong passwords) stops password logins only: it must not let anyone who
    # knows a username throw its owner out of a working session. To cut a session off, deactivate
    # the account or change its password (both bump token_version).
    return Actor("staff", user.id, role=str(user.role), department_id=user.department_id, ip=request.remote_addr)


def staff_required(roles: Iterable[str] | None = None) -> Callable:
    """Staff endpoints deny by default: a valid staff token and, if given, one of ``roles``."""
    allowed = {str(r) for r in roles} if roles is not None else None

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            actor = load_staff_actor(_bearer())
            g.actor = actor
            g.rate_key = actor.ref
            if allowed is not None and actor.role not in allowed:
                raise Forbidden("role_forbidden", "您的岗位没有此项操作的权限。")
            return fn(*args, **kwargs)

        return wrapper

    return deco

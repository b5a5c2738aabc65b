"""Bearer-token authentication: who is calling (``current_actor``) and the access decorators.

Mini-program endpoints use :func:`account_required`; staff endpoints :func:`staff_required`,
which denies by default. The actor is put on ``g`` for the view and the rate limits.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable

from flask import Flask, current_app, g, request

from backend.common.actor import Actor
from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.http.extensions import get_session
from backend.platform.errors import Forbidden, Unauthorized
from backend.platform.nearcache import get_near_cache
from backend.platform.store import get_store
from backend.subjects import account_cache


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

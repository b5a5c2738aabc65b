"""Bearer-token authentication: who is calling (``current_actor``) and the access decorators.

Mini-program endpoints use :func:`account_required`; staff endpoints :func:`staff_required`,
which denies by default. The actor is put on ``g`` for the view and the rate limits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask import current_app, g, request
from sqlalchemy import select

from backend.common.actor import Actor
from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.http.extensions import get_session, get_store
from backend.platform.errors import Forbidden, Unauthorized
from backend.sessions import cache as session_cache
from backend.sessions.models import AuthSession


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


def _ids(payload, owner_field: str) -> tuple[int, int]:
    """The owner id and the session id a signed token names (both plain ints), else 401."""
    owner = payload.get(owner_field) if isinstance(payload, dict) else None
    sid = payload.get("sid") if isinstance(payload, dict) else None
    if type(owner) is not int or type(sid) is not int:
        raise Unauthorized("token_invalid", "登录信息无效，请重新登录。")
    return owner, sid


_SESSION_ENDED = ("token_revoked", "登录已失效，请重新登录。")


def load_account_actor(token: str, *, with_card_version: bool = False) -> Actor:
    """The account behind a valid access token whose session is live and whose account is usable.

    One read (``backend.sessions.cache``): a warm entry in the store, or one indexed query that
    fills it. Logging out, refresh-token reuse, disabling the account or unbinding / re-binding its
    identity end the session in the database and drop the entry after commit, so the old bearer is
    refused (401 ``token_revoked``) from the very next request on every node.

    ``with_card_version``: the card views' variant (:func:`account_card_required`): the state comes
    from the database in the query that also reads the person's card version (``g.card_version``),
    rather than from the store and then the database.
    """
    cfg = current_app.config
    account_id, session_id = _ids(verify(cfg["SECRET_KEY"], ACCOUNT_TOKEN, token, cfg["ACCESS_TOKEN_TTL"]), "a")
    if with_card_version:
        state, g.card_version = session_cache.state_and_card_version(get_session(), session_id, account_id)
    else:
        ttl = int(cfg.get("ACCOUNT_CACHE_TTL", session_cache.DEFAULT_TTL))
        store = get_store() if ttl > 0 else None
        state = session_cache.account_session(store, get_session, session_id, account_id, ttl,
                                              current_app.extensions.get("session_invalidator"))
    if not state.usable:
        raise Unauthorized(*_SESSION_ENDED)
    return Actor("account", account_id, person_id=state.person_id, ip=request.remote_addr, session_id=session_id)


def account_required(fn: Callable) -> Callable:
    """Mini-program endpoints: a valid access token from ``POST /miniapp/v1/auth/login``."""
    return _account_view(fn, with_card_version=False)


def account_card_required(fn: Callable) -> Callable:
    """:func:`account_required` for ``GET me/card``: the same checks, answered by the one indexed query
    that also reads the person's card version (:func:`current_card_version`), which the card needs
    anyway. A warm card then costs one database query and one store read, not two store reads
    and a query."""
    return _account_view(fn, with_card_version=True)


def _account_view(fn: Callable, *, with_card_version: bool) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        g.actor = load_account_actor(_bearer(), with_card_version=with_card_version)
        g.rate_key = g.actor.ref
        return fn(*args, **kwargs)

    return wrapper


def current_card_version() -> int | None:
    """The card version read with the session by :func:`account_card_required` (None: not read)."""
    return g.get("card_version")


def load_staff_actor(token: str) -> Actor:
    """The staff user behind a valid token whose session is live: one indexed query (staff requests
    are few; no cache to keep coherent)."""
    from backend.staff.models import StaffUser

    cfg = current_app.config
    payload = verify(cfg["SECRET_KEY"], STAFF_TOKEN, token, cfg["STAFF_TOKEN_TTL"])
    user_id, session_id = _ids(payload, "s")
    user = get_session().execute(
        select(StaffUser).join(AuthSession, AuthSession.staff_user_id == StaffUser.id)
        .where(AuthSession.id == session_id, StaffUser.id == user_id, AuthSession.ended_at.is_(None))
    ).scalar()
    if user is None or not user.active or user.token_version != payload.get("v"):
        raise Unauthorized(*_SESSION_ENDED)
    # Login throttling (too many wrong passwords) slows password logins only: it must not let anyone
    # who knows a username throw its owner out of a working session. To cut a session off, end it,
    # deactivate the account or change its password.
    return Actor("staff", user.id, role=str(user.role), department_id=user.department_id, ip=request.remote_addr,
                 session_id=session_id)


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

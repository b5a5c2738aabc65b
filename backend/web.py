"""Request plumbing shared by every blueprint: the commit point, who is calling, access checks.

Views stay thin: they parse input, call one service with ``get_session()`` and ``current_actor()``,
and return. The commit happens here, once, after the view returned a success; any error or a 4xx/5xx
response rolls back. After-commit hooks (jobs, cache invalidation, WeChat pushes) then run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask import Flask, current_app, g, request
from sqlalchemy.exc import IntegrityError

from backend.common.actor import Actor
from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, verify
from backend.db import wants_commit_on_refusal
from backend.errors import Conflict, Forbidden, Unauthorized, error_body
from backend.extensions import get_session

_REQUEST_KEYS = ("db_session", "actor", "rate_key")


def register_commit_point(app: Flask) -> None:
    from backend.server_timing import register_server_timer

    register_server_timer(app)  # first: its after_request runs last, timing the commit too

    @app.before_request
    def _fresh_request_state():
        # Each request gets its own session and actor, even when an app context is already pushed
        # (CLI commands, tests): state from outside must not leak into the request, nor back out.
        g._outer_request_state = {k: g.pop(k, None) for k in _REQUEST_KEYS}

    @app.teardown_request
    def _close_request_state(exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            if exc is not None:
                sess.rollback()
            sess.close()
        for k in _REQUEST_KEYS:
            g.pop(k, None)
        for k, v in (g.pop("_outer_request_state", None) or {}).items():
            if v is not None:
                setattr(g, k, v)

    @app.after_request
    def _commit(response):
        sess = g.get("db_session")
        if sess is None:
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


def load_account_actor(token: str) -> Actor:
    from backend.subjects.models import Account

    cfg = current_app.config
    payload = verify(cfg["SECRET_KEY"], ACCOUNT_TOKEN, token, cfg["ACCESS_TOKEN_TTL"])
    account = get_session().get(Account, payload.get("a"))
    if account is None or account.disabled:
        raise Unauthorized("account_disabled", "该账号不可用，请联系客服。")
    return Actor("account", account.id, person_id=account.person_id, ip=request.remote_addr)


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

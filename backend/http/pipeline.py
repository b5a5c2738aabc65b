"""The request pipeline shared by every blueprint: one hook of each kind and the one commit point.

Views stay thin: they parse input, call one service with ``get_session()`` and ``current_actor()``,
and return. The commit happens here, once, after the view returned a success; any error or a 4xx/5xx
response rolls back. After-commit hooks (jobs, cache invalidation, WeChat pushes) then run.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.exc import IntegrityError

from backend.http import server_timing
from backend.http.errors import error_body
from backend.platform.db import wants_commit_on_refusal
from backend.platform.errors import Conflict, ValidationFailed

_REQUEST_KEYS = ("db_session", "actor", "rate_key", "card_version")


def register_request_pipeline(app: Flask) -> None:
    """Every request passes one hook of each kind, and they do, in this order:

    1. before the view (:func:`_begin_request`): start the server timer; give the request its own
       state; the shared rate limits (writes and logins); refuse NUL in the path or the query; the
       body guard (``backend/http/request_guard.py``: bad JSON, wrong media type, NUL, surrogates);
    2. after the view (:func:`_finish_request`): the commit point; rate-limit headers; the timer;
    3. teardown (:func:`_end_request`): release the session and the request's state.

    One function per kind rather than one per concern: Flask pays for every hook on every request
    (a lookup, a sync wrapper, a call and several context-local reads), and on a cached read such
    as ``me/card`` that overhead was most of the time spent in the app.
    """
    from backend.http.extensions import limiter
    from backend.http.request_guard import guard_request

    limits = limiter

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

"""Idempotent writes for the mini-program: a retried request is answered, not done twice.

A phone on a weak network often sends the same write twice (a retry after a timeout, a double tap).
The client sends an ``Idempotency-Key`` header (1–128 printable ASCII characters, e.g. a UUID it
made for this one action); the key is optional — without it the view runs as usual.

- same key, same request (method, path, query, canonical JSON body), same caller → the stored answer
  (status and body) with header ``Idempotent-Replayed: true``; the view does not run again;
- same key, different request → 422 ``idempotency_key_reused``;
- same key while the first request is still running (longer than ``IN_FLIGHT_WAIT_MS``) → 409
  ``idempotency_in_progress``; on PostgreSQL a duplicate that arrives while the first is running
  waits up to that long and then gets the first one's answer;
- a malformed key → 422 ``idempotency_key_invalid``.

The key row is written in the SAME transaction as the view's effect (the request's one commit in
backend/http/pipeline.py): a request that fails or is refused (4xx/5xx) rolls back and leaves no key, so the
user can correct the input and retry with the same key. Only 2xx/3xx answers are stored, and they
are stored encrypted (the PII keyring, AES-GCM): an answer may carry a secret — a card share's
token and link — or personal data, and a database dump must not hand them out. Keys are
per caller (``actor.ref``, or ``ip:…`` before login) and kept for ``KEY_TTL`` (24 h); the job
:func:`purge_expired_idempotency_keys` deletes older ones.

Decorator order on a view — auth outermost, then ``idempotent``, then flask-smorest's::

    @blp.route("/objections")
    class Objections(MethodView):
        @account_required                    # 1. 401 before anything else; sets the owner
        @idempotent                          # 2. replay, or claim the key for this transaction
        @blp.arguments(ObjectionInSchema)    # 3. validation errors (422) are not stored
        @blp.response(201, ObjectionSchema)  # 4. the body that is stored and replayed
        def post(self, data): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.common.crypto import keyring
from backend.common.models import IdempotencyKey
from backend.http.extensions import get_session
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, ValidationFailed
from backend.platform.jobs import job

KEY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
IN_FLIGHT_WAIT_MS = 1000
# Printable ASCII; inner spaces allowed (HTTP strips the outer ones anyway).
_KEY_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$")


def idempotent(fn: Callable) -> Callable:
    """Make a write view idempotent under ``Idempotency-Key`` (see the module docstring)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        raw = request.headers.get(KEY_HEADER)
        if raw is None:
            return fn(*args, **kwargs)
        key = _check_key(raw)
        session = get_session()
        row, replay = _claim(session, _owner(), key, _request_hash())
        if replay is not None:
            return replay
        response = current_app.make_response(fn(*args, **kwargs))
        if response.status_code < 400:
            row.status_code = response.status_code
            row.response_body = seal_body(response.get_data(as_text=True))
            session.flush()
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # checked by tests for every write route
    return wrapper


def _check_key(raw: str) -> str:
    key = raw.strip()
    if not _KEY_RE.match(key):
        msg = "请求标识（Idempotency-Key）应为1到128个可见英文字符。"
        raise ValidationFailed("idempotency_key_invalid", msg, errors={KEY_HEADER: [msg]})
    return key


def _owner() -> str:
    actor = g.get("actor")
    return actor.ref if actor is not None else f"ip:{request.remote_addr or 'unknown'}"


def _request_hash() -> str:
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:  # not JSON (or empty): compare the raw bytes
        canonical = "raw:" + hashlib.sha256(body).hexdigest()
    query = sorted(request.args.items(multi=True))
    material = json.dumps([request.method, request.path, query, canonical], ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def _find(session: Session, owner: str, key: str) -> IdempotencyKey | None:
    return session.execute(
        select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    ).scalar()


def _claim(session: Session, owner: str, key: str, request_hash: str):
    """Insert this request's key row, or return ``(None, stored response)`` for a replay."""
    existing = _find(session, owner, key)
    if existing is not None and existing.created_at < utcnow() - KEY_TTL:
        session.delete(existing)  # expired but not purged yet: the key is free again
        session.flush()
        existing = None
    if existing is None:
        row = IdempotencyKey(
            owner=owner, key=key, method=request.method, path=request.path[:300], request_hash=request_hash
        )
        try:
            with session.begin_nested():
                restore = _bound_lock_wait(session)
                session.add(row)
                session.flush()
            restore()
            return row, None
        except IntegrityError:
            # Someone else's request with this key committed first (PostgreSQL waited for it).
            existing = _find(session, owner, key)
        except OperationalError as exc:
            if not _is_lock_wait(exc):
                raise
            existing = None
        if existing is None:
            raise Conflict("idempotency_in_progress", "相同的请求正在处理中，请稍后查看结果。")
    if existing.request_hash != request_hash:
        msg = "该请求标识已用于另一项不同的提交，请为新的提交使用新的标识。"
        raise ValidationFailed("idempotency_key_reused", msg, errors={KEY_HEADER: [msg]})
    if existing.status_code is None:
        raise Conflict("idempotency_in_progress", "相同的请求正在处理中，请稍后查看结果。")
    replay = current_app.response_class(
        open_body(existing.response_body), status=existing.status_code, mimetype="application/json"
    )
    replay.headers[REPLAY_HEADER] = "true"
    return None, replay


_SEALED = "pii:"  # stored bodies that start so are ciphertext; older rows (kept 24 h at most) are plain
_PURPOSE = "idempotency.response_body"  # the AES-GCM associated data: the ciphertext opens only here


def seal_body(body: str) -> str:
    """The answer as stored: encrypted under the active PII key."""
    return _SEALED + keyring().encrypt(_PURPOSE, body)


def open_body(stored: str | None) -> str:
    """The answer to replay (a row written before encryption is returned as it is)."""
    if not stored:
        return ""
    return keyring().decrypt(_PURPOSE, stored[len(_SEALED):]) if stored.startswith(_SEALED) else stored


def _bound_lock_wait(session: Session) -> Callable[[], None]:
    """On PostgreSQL, wait at most ``IN_FLIGHT_WAIT_MS`` for a concurrent insert of the same key."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: None
    previous = session.execute(text("SELECT current_setting('lock_timeout')")).scalar()
    session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": f"{IN_FLIGHT_WAIT_MS}ms"})
    return lambda: session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": previous})


def _is_lock_wait(exc: OperationalError) -> bool:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "55P03" or "database is locked" in str(orig)


def purge_idempotency_keys(session: Session, older_than: datetime | timedelta = KEY_TTL) -> int:
    """Delete keys created before ``older_than`` (a moment, or an age such as 24 h); return how many."""
    cutoff = utcnow() - older_than if isinstance(older_than, timedelta) else older_than
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    session.flush()
    return result.rowcount or 0


@job
def purge_expired_idempotency_keys(session: Session) -> int:
    """Periodic job: drop keys older than 24 h."""
    return purge_idempotency_keys(session, KEY_TTL)

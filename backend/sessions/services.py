"""Start, end and list login sessions (登录会话). No Flask: the caller passes the client facts.

Ending a session is a database change (``ended_at``); the read-through in
:mod:`backend.sessions.cache` is invalidated after commit, so the old bearer is refused on the
very next request on every process.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.platform.db import affected_rows, utcnow
from backend.platform.errors import NotFound
from backend.sessions import cache
from backend.sessions.models import AuthSession, EndReason

MAX_LISTED = 50

# Coarse device names from a User-Agent: enough to recognise "my phone", nothing more.
_SYSTEMS = (("iphone", "iPhone"), ("ipad", "iPad"), ("android", "Android"), ("harmonyos", "HarmonyOS"),
            ("windows", "Windows"), ("mac os", "Mac"), ("linux", "Linux"))


def coarse_device(user_agent: str | None) -> str:
    """``"iPhone · 微信"``-like label of a User-Agent; the raw string is not kept."""
    ua = (user_agent or "").lower()
    system = next((label for needle, label in _SYSTEMS if needle in ua), None)
    app = "微信" if "micromessenger" in ua else ("浏览器" if "mozilla" in ua else None)
    parts = [p for p in (system, app) if p]
    return " · ".join(parts) if parts else "未知设备"


def coarse_ip(ip: str | None) -> str | None:
    """The network, not the address: IPv4 /24, IPv6 /48 (``203.0.113.0/24``)."""
    try:
        addr = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def start_session(
    session: Session, *, account_id: int | None = None, staff_user_id: int | None = None,
    ip: str | None, user_agent: str | None, ttl_seconds: int,
) -> AuthSession:
    """A new session of an account or of a staff user, living at most ``ttl_seconds``."""
    now = utcnow()
    row = AuthSession(account_id=account_id, staff_user_id=staff_user_id, device=coarse_device(user_agent),
                      ip_prefix=coarse_ip(ip), created_at=now, expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(row)
    session.flush()
    return row


def renew_session(session: Session, session_id: int, ttl_seconds: int) -> None:
    """A refresh keeps the session and moves its end of life (the refresh token's) forward."""
    now = utcnow()
    session.execute(
        update(AuthSession).where(AuthSession.id == session_id)
        .values(refreshed_at=now, expires_at=now + timedelta(seconds=ttl_seconds))
        .execution_options(synchronize_session=False)
    )


def _owner_clause(account_id: int | None, staff_user_id: int | None):
    if account_id is not None:
        return AuthSession.account_id == account_id
    return AuthSession.staff_user_id == staff_user_id


def end_sessions(
    session: Session, reason: EndReason, *, account_id: int | None = None, staff_user_id: int | None = None,
    ids: Iterable[int] | None = None,
) -> int:
    """End the live sessions of one owner (only ``ids`` if given); returns how many ended."""
    stmt = (update(AuthSession)
            .where(_owner_clause(account_id, staff_user_id), AuthSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
            .execution_options(synchronize_session="fetch"))
    if ids is not None:
        stmt = stmt.where(AuthSession.id.in_(list(ids)))
    ended = affected_rows(session, stmt)
    if ended and account_id is not None:
        cache.invalidate_accounts(session, [account_id])
    return ended


def _owner(actor: Actor) -> dict:
    return {"account_id": actor.id} if actor.is_account else {"staff_user_id": actor.id}


@dataclass(frozen=True)
class SessionView:
    """One line of the session list: what the owner needs to recognise it, never a token."""

    id: int
    device: str
    ip_prefix: str | None
    created_at: datetime
    refreshed_at: datetime | None
    expires_at: datetime
    current: bool


def list_sessions(session: Session, actor: Actor) -> list[SessionView]:
    """The caller's live sessions, newest first (device, network and times; never a token)."""
    owner = _owner(actor)
    rows = session.execute(
        select(AuthSession)
        .where(_owner_clause(owner.get("account_id"), owner.get("staff_user_id")),
               AuthSession.ended_at.is_(None), AuthSession.expires_at > utcnow())
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc()).limit(MAX_LISTED)
    ).scalars()
    return [SessionView(r.id, r.device, r.ip_prefix, r.created_at, r.refreshed_at, r.expires_at,
                        r.id == actor.session_id) for r in rows]


def end_own_session(session: Session, actor: Actor, session_id: int) -> None:
    """End one of the caller's sessions (the current one too); another's id is 404 as if unknown."""
    owner = _owner(actor)
    row = session.execute(
        select(AuthSession.id).where(
            AuthSession.id == session_id, _owner_clause(owner.get("account_id"), owner.get("staff_user_id")))
    ).first()
    if row is None:
        raise NotFound("session_not_found", "没有找到这个登录会话。")
    end_sessions(session, EndReason.ENDED_BY_OWNER, ids=[session_id], **owner)

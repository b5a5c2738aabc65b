"""Staff login, logout and the sessions they start (工作人员登录).

Login refusals are deliberately alike: an unknown username, a wrong password and a deactivated
account all answer 401 ``invalid_credentials`` after the same amount of argon2 work (a dummy hash
for unknown names). Repeated failures of one username *from one client* are slowed down
(:mod:`backend.staff.login_throttle`): 429 ``login_throttled`` with a ``Retry-After`` that grows
with the failures — the same for unknown and known names, never a lock an outsider can put on
someone else's account, and existing sessions keep working. Services here take the token secret
and the throttle as parameters and never import Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.tokens import STAFF_TOKEN, sign
from backend.platform.db import commit_on_refusal, utcnow
from backend.platform.errors import Forbidden, Unauthorized
from backend.sessions.models import EndReason
from backend.sessions.services import end_sessions, start_session
from backend.staff.login_throttle import ALERT_AFTER, ALERT_WINDOW, LoginThrottle, throttled
from backend.staff.models import StaffUser
from backend.staff.services import change_password, password_hasher, staff_actor, verify_password

INVALID_CREDENTIALS = "用户名或密码错误。"


@cache
def _dummy_hash() -> str:
    # Verifying an unknown username against this costs the same as a real check.
    return password_hasher.hash("no-such-user-dummy-password-0")


@dataclass(frozen=True)
class ClientInfo:
    """Where a login comes from: the address (throttling, the session's coarse network) and device."""

    ip: str | None = None
    user_agent: str | None = None


def start_staff_session(session: Session, user: StaffUser, client: ClientInfo, *, secret: str, ttl: int) -> str:
    """A new login session of ``user`` and its bearer token (it stops when the session ends)."""
    row = start_session(session, staff_user_id=user.id, ip=client.ip, user_agent=client.user_agent, ttl_seconds=ttl)
    return sign(secret, STAFF_TOKEN, {"s": user.id, "v": user.token_version, "sid": row.id})


def authenticate_staff(
    session: Session, username: str, password: str, client: ClientInfo, *, secret: str, ttl: int,
    throttle: LoginThrottle,
) -> tuple[StaffUser, str]:
    """Check a staff login; return ``(user, token)`` of a new session.

    Unknown names, wrong passwords and deactivated accounts answer alike (401, one argon2 check);
    a (name, client) pair that keeps failing waits longer and longer (429 ``login_throttled``),
    without its password being checked meanwhile. Failures are audited and committed even though
    the request is refused (:func:`backend.platform.db.commit_on_refusal`).
    """
    now = utcnow()
    name = (username or "").strip().lower()
    password = password if isinstance(password, str) else ""
    anonymous = Actor("system", ip=client.ip)
    wait = throttle.wait_seconds(name, client.ip)
    if wait:
        _alert_if_sustained(session, anonymous, name, throttle.attempted(name))
        raise throttled(wait)
    user = session.execute(select(StaffUser).where(StaffUser.username == name)).scalar() if name else None
    ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not ok or not user.active:
        commit_on_refusal(session)
        delay, attempts = throttle.failed(name, client.ip)
        reason = "unknown_user" if user is None else ("inactive" if ok else "wrong_password")
        audit(session, anonymous, "staff.login_failed", "staff_user", user.id if user else None, reason=reason)
        _alert_if_sustained(session, anonymous, name, attempts, user)
        if delay:
            raise throttled(delay)
        raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher.hash(password)
    user.last_login_at = now
    session.flush()
    throttle.succeeded(name, client.ip)
    token = start_staff_session(session, user, client, secret=secret, ttl=ttl)
    audit(session, staff_actor(user, client.ip), "staff.login", "staff_user", user.id)
    return user, token


def _alert_if_sustained(session: Session, anonymous: Actor, name: str, attempts: int,
                        user: StaffUser | None = None) -> None:
    """Once per window, when one username has been refused ``ALERT_AFTER`` times: an audit entry
    for the credit office (the staff user if the name exists; the name itself is never stored)."""
    if attempts != ALERT_AFTER:
        return
    if user is None and name:
        user = session.execute(select(StaffUser).where(StaffUser.username == name)).scalar()
    commit_on_refusal(session)
    audit(session, anonymous, "staff.login_attack", "staff_user", user.id if user else None,
          attempts=attempts, window_minutes=ALERT_WINDOW // 60)


def change_own_password(
    session: Session, actor: Actor, *, current_password: str, new_password: str, client: ClientInfo, secret: str,
    ttl: int, throttle: LoginThrottle,
) -> tuple[StaffUser, str]:
    """The signed-in staff member changes their password: every session of theirs ends (other
    browsers, API clients) and this client goes on with a new one — ``(user, token)``. The API and
    the console both change passwords through here."""
    user = change_password(session, actor, current_password=current_password, new_password=new_password,
                           throttle=throttle)
    return user, start_staff_session(session, user, client, secret=secret, ttl=ttl)


def logout_staff(session: Session, actor: Actor) -> None:
    """End the caller's current session (its token stops working at once)."""
    if not actor.is_staff or actor.session_id is None:
        raise Forbidden("staff_only", "只有工作人员可以退出工作人员登录。")
    end_sessions(session, EndReason.LOGOUT, staff_user_id=actor.id, ids=[actor.session_id])
    audit(session, actor, "staff.logout", "staff_user", actor.id, session_id=actor.session_id)



"""Staff accounts (工作人员账号) and access control: creation, login, password, department scope.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106 low-memory
profile); a stored hash made with older parameters is re-hashed at the next successful login.

Login refusals are deliberately alike: an unknown username, a wrong password and a deactivated
account all answer ``invalid_credentials`` after the same amount of argon2 work. Repeated failures
of one username *from one client* are slowed down (:mod:`backend.staff.login_throttle`): **429**
``login_throttled`` with a ``Retry-After`` that grows with the failures — the same for unknown and
known names, and never a lock an outsider can put on someone else's account. Every login is a
session (:mod:`backend.sessions`); deactivation and a password change or reset end them all.

Services here take the token secret as a parameter and never import Flask.
"""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.db import commit_on_refusal
from backend.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from backend.sessions.models import EndReason
from backend.sessions.services import end_sessions
from backend.staff.login_throttle import LoginThrottle, throttled
from backend.staff.models import Department, OrgType, Role, StaffUser

password_hasher = PasswordHasher()  # argon2id

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128  # argon2 copes with more, but nobody types it and it bounds the work
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")

# Which organisations a role's user may belong to, and whether one is required.
ROLE_ORG_TYPES: dict[Role, tuple[bool, frozenset[OrgType]]] = {
    Role.CREDIT_ADMIN: (False, frozenset({OrgType.CREDIT_OFFICE})),
    Role.AUDITOR: (False, frozenset({OrgType.CREDIT_OFFICE, OrgType.GOVERNMENT})),
    Role.DEPT_REVIEWER: (True, frozenset({OrgType.GOVERNMENT, OrgType.COURT, OrgType.TOWN, OrgType.CREDIT_OFFICE})),
    Role.BANK_PARTNER: (True, frozenset({OrgType.BANK})),
    Role.MERCHANT: (True, frozenset({OrgType.MERCHANT})),
}

# Roles that see every department's data (no department scope).
ALL_DEPARTMENT_ROLES = frozenset({Role.CREDIT_ADMIN.value, Role.AUDITOR.value})


# --- validation ------------------------------------------------------------------------------


def check_password_policy(password: str) -> None:
    """At least 10 characters, with both letters and digits (reason ``weak_password``)."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        msg = f"密码至少需要{PASSWORD_MIN_LENGTH}位，并同时包含字母和数字。"
    elif len(password) > PASSWORD_MAX_LENGTH:
        msg = f"密码不能超过{PASSWORD_MAX_LENGTH}位。"
    elif not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        msg = "密码需要同时包含字母和数字。"
    else:
        return
    raise ValidationFailed("weak_password", msg, errors={"password": [msg]})


@cache
def published_passwords() -> frozenset[str]:
    """The demo accounts' passwords, printed in the README: a sign-in with one must change it, and no
    one may choose one as their new password."""
    from backend.demo.seed import DEMO_STAFF  # the demo seed stands on this module

    return frozenset(spec.password for spec in DEMO_STAFF)


def _parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        msg = "岗位角色不正确。"
        raise ValidationFailed("role_invalid", msg, errors={"role": [msg]}) from None


def _normalise_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME_RE.match(name):
        msg = "用户名为3到64位小写字母、数字或 _ . -，以字母或数字开头。"
        raise ValidationFailed("username_invalid", msg, errors={"username": [msg]})
    return name


def _check_department(session: Session, role: Role, department_id: int | None) -> Department | None:
    required, allowed = ROLE_ORG_TYPES[role]
    if department_id is None:
        if required:
            msg = "该岗位需要指定所属单位。"
            raise ValidationFailed("department_required", msg, errors={"department": [msg]})
        return None
    dept = session.get(Department, department_id)
    if dept is None or not dept.active:
        msg = "所属单位不存在或已停用。"
        raise ValidationFailed("department_not_found", msg, errors={"department": [msg]})
    if dept.org_type not in allowed:
        msg = "所属单位的类型与岗位不符。"
        raise ValidationFailed("department_mismatch", msg, errors={"department": [msg]})
    return dept


def find_department_by_code(session: Session, code: str, *, field: str = "department",
                            reason: str = "department_not_found", message: str = "没有找到该单位代码。") -> Department:
    """The organisation with this code (any case, spaces); 422 with ``reason`` under ``field`` if none."""
    dept = session.execute(select(Department).where(Department.code == (code or "").strip().upper())).scalar()
    if dept is None:
        raise ValidationFailed(reason, message, errors={field: [message]})
    return dept


# --- accounts --------------------------------------------------------------------------------


def create_staff_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str | Role,
    department_id: int | None = None,
) -> StaffUser:
    """Create a staff account. Username taken → 409 ``username_taken``."""
    role = _parse_role(role)
    username = _normalise_username(username)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 64:
        msg = "请填写姓名（不超过64个字）。"
        raise ValidationFailed("display_name_invalid", msg, errors={"display_name": [msg]})
    check_password_policy(password)
    dept = _check_department(session, role, department_id)
    if session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise Conflict("username_taken", "该用户名已被使用。")
    user = StaffUser(
        username=username,
        display_name=display_name,
        password_hash=password_hasher.hash(password),
        role=role,
        department_id=dept.id if dept else None,
    )
    session.add(user)
    session.flush()
    audit(session, actor, "staff.create", "staff_user", user.id, role=role.value,
          department_id=user.department_id)
    return user


def get_staff_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("staff_user_not_found", "没有找到该工作人员账号。")
    return user


def list_staff_users(
    session: Session, *, role: str | None = None, department_id: int | None = None, active: bool | None = None
) -> list[StaffUser]:
    # The department is shown with every user: load them in one extra query, not one per user.
    stmt = select(StaffUser).options(selectinload(StaffUser.department)).order_by(StaffUser.id)
    if role is not None:
        stmt = stmt.where(StaffUser.role == _parse_role(role))
    if department_id is not None:
        stmt = stmt.where(StaffUser.department_id == department_id)
    if active is not None:
        stmt = stmt.where(StaffUser.active.is_(active))
    return list(session.execute(stmt).scalars())


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def staff_actor(user: StaffUser, ip: str | None) -> Actor:
    return Actor("staff", user.id, role=str(user.role), department_id=user.department_id, ip=ip)


def change_password(
    session: Session, actor: Actor, *, current_password: str, new_password: str, throttle: LoginThrottle,
) -> StaffUser:
    """The signed-in staff member changes their own password; every session of theirs ends (callers
    use :func:`backend.staff.login.change_own_password`, which also starts the caller's new session).

    A wrong current password counts as a failed login of the (username, client) pair in ``throttle``
    (the staff login throttle) and is audited: after a few, 429 ``login_throttled`` with a growing
    wait, before the password is even checked — the same brake as on the login form."""
    user = get_staff_user(session, actor.id) if actor.is_staff and actor.id is not None else None
    if user is None:
        raise Forbidden("staff_only", "只有工作人员可以修改密码。")
    wait = throttle.wait_seconds(user.username, actor.ip)
    if wait:
        raise throttled(wait)
    if not verify_password(user.password_hash, current_password if isinstance(current_password, str) else ""):
        commit_on_refusal(session)  # the audit row outlives the refused request
        delay, _ = throttle.failed(user.username, actor.ip)
        audit(session, actor, "staff.password_change_failed", "staff_user", user.id, reason="wrong_password")
        if delay:
            raise throttled(delay)
        msg = "当前密码不正确。"
        raise ValidationFailed("wrong_password", msg, errors={"current_password": [msg]})
    throttle.succeeded(user.username, actor.ip)
    check_password_policy(new_password)
    if new_password in published_passwords():
        msg = "不能使用开发环境的公开密码。"
        raise ValidationFailed("password_published", msg, errors={"new_password": [msg]})
    if verify_password(user.password_hash, new_password):
        msg = "新密码不能与当前密码相同。"
        raise ValidationFailed("password_unchanged", msg, errors={"new_password": [msg]})
    _set_password(session, user, new_password)
    session.flush()
    audit(session, actor, "staff.password_change", "staff_user", user.id)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, new_password: str) -> StaffUser:
    """An administrator (or the CLI) sets a new password; every session of the user ends."""
    user = get_staff_user(session, user_id)
    check_password_policy(new_password)
    _set_password(session, user, new_password)
    session.flush()
    audit(session, actor, "staff.password_reset", "staff_user", user.id)
    return user


def _set_password(session: Session, user: StaffUser, password: str) -> None:
    user.password_hash = password_hasher.hash(password)
    user.token_version += 1
    end_sessions(session, EndReason.PASSWORD_CHANGED, staff_user_id=user.id)


def deactivate_staff(session: Session, actor: Actor, user_id: int) -> StaffUser:
    """Close an account: it can no longer log in and its tokens stop working at once."""
    user = get_staff_user(session, user_id)
    if actor.is_staff and actor.id == user.id:
        raise Conflict("cannot_deactivate_self", "不能停用自己的账号。")
    if user.active:
        user.active = False
        user.token_version += 1
        end_sessions(session, EndReason.STAFF_DEACTIVATED, staff_user_id=user.id)
        session.flush()
        audit(session, actor, "staff.deactivate", "staff_user", user.id)
    return user


# --- department scope --------------------------------------------------------------------------


def scoped_department_id(actor: Actor) -> int | None:
    """``None`` when the actor sees every department, else the one department it may see.

    For list queries: ``if (d := scoped_department_id(actor)) is not None: stmt = stmt.where(... == d)``.
    """
    if actor.kind == "system" or (actor.is_staff and actor.role in ALL_DEPARTMENT_ROLES):
        return None
    if actor.is_staff and actor.department_id is not None:
        return actor.department_id
    raise Forbidden("department_scope", "您只能处理本单位的事项。")


def require_department_scope(actor: Actor, department_id: int | None) -> None:
    """Refuse (403 ``department_scope``) unless ``actor`` may act on ``department_id``'s data.

    credit_admin and auditor (and system jobs): every department. Every other staff role
    (dept_reviewer, bank_partner, merchant): its own organisation only. Mini-program accounts: never.
    """
    allowed = scoped_department_id(actor)
    if allowed is not None and allowed != department_id:
        raise Forbidden("department_scope", "您只能处理本单位的事项。")


def require_role(actor: Actor, roles, message: str) -> None:
    """Refuse (403 ``role_forbidden``) a staff actor whose role is not in ``roles``, and every
    non-staff actor; system jobs pass."""
    if actor.kind == "system":
        return
    if not actor.is_staff or actor.role not in {str(r) for r in roles}:
        raise Forbidden("role_forbidden", message)


def department_by_code(session: Session, code: str) -> Department:
    """A department named in a staff form's ``department_code``; 422 ``department_unknown`` if none."""
    return find_department_by_code(session, code, field="department_code", reason="department_unknown",
                                   message="没有这个部门代码。")


def acting_department(session: Session, actor: Actor, code: str | None, label: str = "认定部门") -> Department:
    """The department a staff action is taken for: ``code`` when the credit office (or a system
    job) acts on a department's behalf, else the actor's own (422 ``department_required`` if none).
    Anyone else naming another department is refused (403 ``department_scope``), as records do, so
    the department returned is always one the actor may act for."""
    if code and (actor.kind == "system" or actor.role == Role.CREDIT_ADMIN):
        return department_by_code(session, code)
    if actor.department_id is None:
        msg = f"请指定{label}。"
        raise ValidationFailed("department_required", msg, errors={"department_code": [msg]})
    if code:
        require_department_scope(actor, department_by_code(session, code).id)
    own = session.get(Department, actor.department_id)
    if own is None:  # a staff user's department is a foreign key: only a stale actor gets here
        raise NotFound("department_not_found", f"{label}不存在。")
    return own


def department_scoped(session: Session, actor: Actor, stmt, column, department_code: str | None = None):
    """``stmt`` limited to the rows ``actor`` may see by ``column`` (a department id column), and to
    ``department_code``'s rows when asked (422 ``department_unknown``, 403 ``department_scope``)."""
    if (dept := scoped_department_id(actor)) is not None:
        stmt = stmt.where(column == dept)
    if department_code:
        wanted = department_by_code(session, department_code).id
        require_department_scope(actor, wanted)
        stmt = stmt.where(column == wanted)
    return stmt

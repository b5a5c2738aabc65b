"""Generic test factories shared by every context's tests (add yours; keep them generic).

Staff users get a cheap argon2 hash (fast tests); the first real login re-hashes it with the
production parameters, which is itself a tested behaviour.
"""

from __future__ import annotations

import itertools

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, sign
from backend.staff.models import Department, OrgType, Role, StaffUser

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
STAFF_PASSWORD = "Huaian2020credit"
_seq = itertools.count(1)

# Organisation type a role's user belongs to by default.
_ROLE_ORG = {
    Role.CREDIT_ADMIN: OrgType.CREDIT_OFFICE,
    Role.AUDITOR: OrgType.CREDIT_OFFICE,
    Role.DEPT_REVIEWER: OrgType.GOVERNMENT,
    Role.BANK_PARTNER: OrgType.BANK,
    Role.MERCHANT: OrgType.MERCHANT,
}


def make_department(db: Session, org_type: OrgType | str = OrgType.GOVERNMENT, code: str | None = None,
                    **fields) -> Department:
    """A new organisation (unique code/name; never one of the seeded departments)."""
    n = next(_seq)
    code = code or f"T{n:04d}"
    dept = Department(code=code, name=fields.pop("name", f"测试单位{code}"), short_name=fields.pop("short_name", code),
                      org_type=OrgType(org_type), **fields)
    db.add(dept)
    db.flush()
    return dept


def seeded_department(db: Session, code: str) -> Department:
    """One of the departments migration 0003 seeds (FGW, SCJG, FY …)."""
    return db.execute(select(Department).where(Department.code == code)).scalar_one()


def make_staff(db: Session, role: Role | str = Role.CREDIT_ADMIN, department: Department | None = None, *,
               username: str | None = None, password: str = STAFF_PASSWORD, with_department: bool = True,
               **fields) -> StaffUser:
    """A staff user; by default in a new organisation of the type its role needs."""
    role = Role(role)
    if department is None and with_department:
        department = make_department(db, _ROLE_ORG[role])
    user = StaffUser(
        username=username or f"staff{next(_seq)}",
        display_name=fields.pop("display_name", "测试人员"),
        password_hash=FAST_HASHER.hash(password),
        role=role,
        department_id=department.id if department else None,
        **fields,
    )
    db.add(user)
    db.flush()
    return user


def _login_session(app, key, obj, **owner) -> int:
    """The test's login session (backend.sessions) of ``obj``, started once per app like one device
    that logged in: asking again gives the same session (ended or not), and no extra SQL."""
    from sqlalchemy.orm import object_session

    from backend.sessions.services import start_session

    known = app.extensions.setdefault("test_login_sessions", {})
    if key not in known:
        known[key] = start_session(object_session(obj), ip="127.0.0.1", user_agent=None, ttl_seconds=3600,
                                   **owner).id
    return known[key]


def staff_headers(app, user: StaffUser) -> dict[str, str]:
    sid = _login_session(app, ("staff", user.id, user.token_version), user, staff_user_id=user.id)
    token = sign(app.config["SECRET_KEY"], STAFF_TOKEN, {"s": user.id, "v": user.token_version, "sid": sid})
    return {"Authorization": f"Bearer {token}"}


def make_account(db: Session, **fields):
    from backend.subjects.models import Account

    account = Account(openid=fields.pop("openid", f"openid-test-{next(_seq)}"), **fields)
    db.add(account)
    db.flush()
    return account


def account_headers(app, account) -> dict[str, str]:
    sid = _login_session(app, ("account", account.id), account, account_id=account.id)
    token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": account.id, "sid": sid})
    return {"Authorization": f"Bearer {token}"}


def make_firm(db: Session, uscc: str | None = None, name: str | None = None, **fields):
    """A registered firm (信用主体·法人) with a fresh valid 统一社会信用代码 in 淮安区 unless given."""
    from backend.common.actor import SYSTEM
    from backend.common.ids import make_uscc
    from backend.subjects.services import register_firm

    n = next(_seq)
    uscc = uscc or make_uscc("91", "320803", f"MA{n:06d}")
    return register_firm(db, SYSTEM, uscc=uscc, name=name or f"淮安测试企业{n}有限公司", **fields)


def make_person(db: Session, id_number: str | None = None, name: str = "张三", **fields):
    """A registered person (信用主体·自然人) with a fresh valid resident ID unless given."""
    from datetime import date, timedelta

    from backend.common.actor import SYSTEM
    from backend.common.ids import make_resident_id
    from backend.subjects.services import register_person

    n = next(_seq)
    id_number = id_number or make_resident_id("320803", date(1970, 1, 1) + timedelta(days=n), n % 1000)
    return register_person(db, SYSTEM, id_number=id_number, name=name, **fields)

"""Staff factories: organisations (departments), staff users and their bearer headers.

Staff users get a cheap argon2 hash (fast tests); the first real login re-hashes it with the
production parameters, which is itself a tested behaviour.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.tokens import STAFF_TOKEN, sign
from backend.staff.models import Department, OrgType, Role, StaffUser
from tests.factories.sequence import next_n
from tests.factories.sessions import login_session

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
STAFF_PASSWORD = "Huaian2020credit"

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
    code = code or f"T{next_n():04d}"
    dept = Department(code=code, name=fields.pop("name", f"测试单位{code}"), short_name=fields.pop("short_name", code),
                      org_type=OrgType(org_type), **fields)
    db.add(dept)
    db.flush()
    return dept


def department_named(db: Session, code: str, **fields) -> Department:
    """The test organisation ``code``, made on first use (one per test module's records and lists)."""
    dept = db.execute(select(Department).where(Department.code == code)).scalar()
    return dept or make_department(db, code=code, **fields)


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
        username=username or f"staff{next_n()}",
        display_name=fields.pop("display_name", "测试人员"),
        password_hash=FAST_HASHER.hash(password),
        role=role,
        department_id=department.id if department else None,
        **fields,
    )
    db.add(user)
    db.flush()
    return user


def staff_headers(app, user: StaffUser) -> dict[str, str]:
    sid = login_session(app, ("staff", user.id, user.token_version), user, staff_user_id=user.id)
    token = sign(app.config["SECRET_KEY"], STAFF_TOKEN, {"s": user.id, "v": user.token_version, "sid": sid})
    return {"Authorization": f"Bearer {token}"}

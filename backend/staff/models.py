"""Staff accounts, their organisations (departments, courts, banks, merchants) and roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.platform.db import Base, enum_col, utcnow


class OrgType(StrEnum):
    CREDIT_OFFICE = "credit_office"  # 区发改委（信用办）
    GOVERNMENT = "government"  # 区各委办局
    COURT = "court"  # 区人民法院
    BANK = "bank"  # 合作银行
    MERCHANT = "merchant"  # 信易+ 合作商户
    TOWN = "town"  # 镇、街道


class Department(Base):
    """An organisation whose staff use the console. ``record_kinds`` is what it may publish."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    org_type: Mapped[OrgType] = mapped_column(enum_col(OrgType, 20))
    # RecordKind values this department may submit (its 权责清单 scope); empty = none.
    record_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Role(StrEnum):
    CREDIT_ADMIN = "credit_admin"  # 信用办管理员: everything, all departments
    DEPT_REVIEWER = "dept_reviewer"  # 部门审核员: own department's records and queues
    AUDITOR = "auditor"  # 审计员: read-only, audit log
    BANK_PARTNER = "bank_partner"  # 合作银行: 信易贷 applications addressed to the bank
    MERCHANT = "merchant"  # 合作商户: 信易+ vouchers


ROLE_LABELS = {
    Role.CREDIT_ADMIN: "信用办管理员",
    Role.DEPT_REVIEWER: "部门审核员",
    Role.AUDITOR: "审计员",
    Role.BANK_PARTNER: "合作银行",
    Role.MERCHANT: "合作商户",
}


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    role: Mapped[Role] = mapped_column(enum_col(Role, 20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or forced logout: older tokens stop working.
    token_version: Mapped[int] = mapped_column(default=1)
    # Left from the removed account lockout: nothing reads or writes them (throttling is per username
    # and client, backend/staff/login_throttle.py); a later migration may drop both columns.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()

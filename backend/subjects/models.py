"""Credit subjects (信用主体): firms by USCC, persons by resident ID; accounts and agency.

Every subject has a row in ``subjects``; ``firms`` and ``persons`` share its primary key. Records,
lists and evaluations point at ``subjects.id`` whatever the kind.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.crypto import EncryptedString
from backend.platform.db import Base, enum_col, utcnow


class SubjectKind(StrEnum):
    FIRM = "firm"
    PERSON = "person"


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SubjectKind] = mapped_column(enum_col(SubjectKind, 10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped with every change that affects the subject's card, in the change's own transaction
    # (backend/subjects/changes.py); the card cache keys on it (backend/cards/cache.py).
    card_version: Mapped[int] = mapped_column(server_default=text("0"))

    firm: Mapped[Firm | None] = relationship(back_populates="subject", uselist=False, foreign_keys="Firm.id")
    person: Mapped[Person | None] = relationship(back_populates="subject", uselist=False, foreign_keys="Person.id")


class Person(Base):
    """自然人. ID number, name and phone are encrypted; ``*_bidx`` columns are blind indexes."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    id_number: Mapped[str] = mapped_column(EncryptedString("person.id_number"))
    id_number_bidx: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(EncryptedString("person.name"))
    phone: Mapped[str | None] = mapped_column(EncryptedString("person.phone"))
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    gender: Mapped[str] = mapped_column(String(1))  # M / F, from the ID number
    birth_year: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject: Mapped[Subject] = relationship(back_populates="person", foreign_keys=[id])


class Firm(Base):
    """法人和其他组织, identified by 统一社会信用代码 (public information)."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    entity_type: Mapped[str] = mapped_column(String(2))  # 91 企业, 92 个体工商户, 93 农民专业合作社, …
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_rep_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    legal_rep_title: Mapped[str] = mapped_column(String(20), default="法定代表人")
    established_on: Mapped[date | None]
    registered_capital: Mapped[str | None] = mapped_column(String(40))  # as registered, e.g. "500万元人民币"
    address: Mapped[str | None] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(60))
    business_scope: Mapped[str | None] = mapped_column(Text)
    reg_status: Mapped[str] = mapped_column(String(20), default="存续")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject: Mapped[Subject] = relationship(back_populates="firm", foreign_keys=[id])
    legal_rep: Mapped[Person | None] = relationship(foreign_keys=[legal_rep_id])


class IdentityLevel(StrEnum):
    NONE = "none"
    SELF_DECLARED = "self_declared"  # 本人声明 (embedded default verifier)
    VERIFIED = "verified"  # 经实名核验


class Account(Base):
    """A mini-program (or official-account) user, by WeChat openid; bound to a person once 实名."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    mp_openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # official-account openid
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    identity_level: Mapped[IdentityLevel] = mapped_column(enum_col(IdentityLevel, 20), default=IdentityLevel.NONE)
    identity_verified_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    person: Mapped[Person | None] = relationship()


class RefreshToken(Base):
    """Refresh tokens are random; only their SHA-256 is stored. Used once, then replaced."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The login session (backend.sessions) this token renews; None for tokens issued before sessions.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgencyStatus(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已授权
    REJECTED = "rejected"  # 未通过
    REVOKED = "revoked"  # 已撤销


class FirmAgency(Base):
    """授权经办: a person acting for a firm they do not legally represent, approved by staff."""

    __tablename__ = "firm_agencies"
    __table_args__ = (
        Index("ix_firm_agencies_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[AgencyStatus] = mapped_column(enum_col(AgencyStatus, 20), default=AgencyStatus.PENDING)
    role_title: Mapped[str] = mapped_column(String(40), default="经办人")
    evidence_note: Mapped[str | None] = mapped_column(Text)  # what the applicant says / uploaded
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[date | None]

    firm: Mapped[Firm] = relationship()
    person: Mapped[Person] = relationship()


__all__ = [
    "Account", "AgencyStatus", "Firm", "FirmAgency", "IdentityLevel", "Person", "RefreshToken",
    "Subject", "SubjectKind",
]

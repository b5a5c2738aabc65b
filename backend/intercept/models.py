"""The interception log (拦截日志): one row per check, one row per hit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class InterceptCheck(Base):
    """One compare-and-intercept call: who asked, for which domain and purpose, how many subjects."""

    __tablename__ = "intercept_checks"
    __table_args__ = (Index("ix_intercept_checks_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # "staff:12", "account:5", "system"
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    # check (a department's system), perk_claim, voucher_redeem
    purpose: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str | None] = mapped_column(String(40))
    perk_id: Mapped[int | None]
    subjects: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    hits: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[bool] = mapped_column(default=False)  # a perk or voucher refused because of a hit


class InterceptHit(Base):
    """A subject found on a list or ban during a check (searchable by subject)."""

    __tablename__ = "intercept_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("intercept_checks.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    list_entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id"))
    list_type: Mapped[str] = mapped_column(String(10))

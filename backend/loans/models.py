"""信易贷 applications (``loan_applications``) and 信易批 approval applications (``approval_applications``).

A loan application is also a queue item of kind ``loan`` routed to the bank's department: the item
keeps the state, deadline and timeline; this table keeps what the firm asked, the bank's time-limited
authorisation to read the firm's card, and the decision.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class LoanStatus(StrEnum):
    PENDING = "pending"  # 待银行审批
    APPROVED = "approved"  # 已批准
    REFUSED = "refused"  # 未获批准
    WITHDRAWN = "withdrawn"  # 已撤回


LOAN_STATUS_LABELS = {
    LoanStatus.PENDING: "银行审批中",
    LoanStatus.APPROVED: "已批准",
    LoanStatus.REFUSED: "未获批准",
    LoanStatus.WITHDRAWN: "已撤回",
}


class LoanApplication(Base):
    """One firm's 信易贷 application to one bank's product (a perk of category ``loan``).

    The firm authorises *this* bank (``bank_id``), for this application only, to read its card until
    ``authorised_until`` or the end of the application (decision or withdrawal: ``authorisation_ended_at``),
    whichever comes first.
    """

    __tablename__ = "loan_applications"
    __table_args__ = (Index("ix_loan_applications_bank_status", "bank_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    perk_id: Mapped[int] = mapped_column(ForeignKey("perks.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)  # who applied
    amount_yuan: Mapped[int]
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(Text)
    rules_code: Mapped[str] = mapped_column(String(40))  # the LoanRules row it was checked against
    grade: Mapped[str] = mapped_column(String(20))  # the firm's grade and score when it applied
    score: Mapped[int]
    status: Mapped[LoanStatus] = mapped_column(enum_col(LoanStatus, 10), default=LoanStatus.PENDING)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_on: Mapped[date]  # China date (reporting month)
    authorised_until: Mapped[datetime]
    authorisation_ended_at: Mapped[datetime | None]
    approved_amount_yuan: Mapped[int | None]
    rate_bp: Mapped[int | None]  # annual rate in basis points (345 = 3.45%)
    approved_term_months: Mapped[int | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)  # shown to the firm
    decided_at: Mapped[datetime | None]
    decided_on: Mapped[date | None]  # China date (reporting month)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ApprovalApplication(Base):
    """An application for an administrative approval (行政审批) received by a department, and whether it
    is marked for 信易批 容缺受理 / fast track (``fast_track``) with the basis, or why not."""

    __tablename__ = "approval_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    perk_id: Mapped[int] = mapped_column(ForeignKey("perks.id"))
    matter: Mapped[str] = mapped_column(String(200))  # 申请事项
    reference_no: Mapped[str | None] = mapped_column(String(60))  # 受理编号 of the bureau's own system
    received_on: Mapped[date]
    fast_track: Mapped[bool] = mapped_column(default=False)
    basis: Mapped[str] = mapped_column(Text)  # why marked, or why not
    grade: Mapped[str] = mapped_column(String(20))
    grade_label: Mapped[str] = mapped_column(String(20))
    score: Mapped[int]
    intercept_check_id: Mapped[int | None] = mapped_column(ForeignKey("intercept_checks.id"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

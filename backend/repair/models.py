"""信用修复 applications (seed 四(六)).

One application covers one or more records of one subject, all provided by one department (the one
that decides). The work on it is a queue item of kind ``repair`` (backend.queues): the providing
department decides within the rule set's handling time (``HandlingTimes``, today 国办发〔2025〕22号: 3 working
days); the applicant is answered within its platform time (today 10).
This table keeps what was filed and decided; the item keeps the state, deadline and timeline.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class Method(StrEnum):
    """信用修复方式 as the district policy (seed 四(六)) names them."""

    RECTIFY = "rectify"  # 整改
    COMMITMENT = "commitment"  # 信用承诺
    TRAINING = "training"  # 培训
    REPORT = "report"  # 信用报告
    CHARITY = "charity"  # 公益


METHOD_LABELS = {
    Method.RECTIFY: "整改",
    Method.COMMITMENT: "信用承诺",
    Method.TRAINING: "培训",
    Method.REPORT: "信用报告",
    Method.CHARITY: "公益",
}


class RepairStatus(StrEnum):
    SUBMITTED = "submitted"  # 待决定 (at the providing department)
    REPAIRED = "repaired"  # 已修复
    REFUSED = "refused"  # 不予修复
    WITHDRAWN = "withdrawn"  # 申请人撤回
    EXPIRED = "expired"  # 信息已到期，申请自动终结


STATUS_LABELS = {
    RepairStatus.SUBMITTED: "办理中",
    RepairStatus.REPAIRED: "已办结：准予修复",
    RepairStatus.REFUSED: "已办结：不予修复",
    RepairStatus.WITHDRAWN: "已撤回",
    RepairStatus.EXPIRED: "已终结：信息已到最长公示期",
}


class RepairApplication(Base):
    __tablename__ = "repair_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # provided the records, decides
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # the applicant (实名)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)  # Method values
    statement: Mapped[str] = mapped_column(Text)  # 整改情况说明
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))  # 信用修复型承诺 signed
    promise_version: Mapped[str | None] = mapped_column(String(40))  # or the plain promise acknowledged
    rule_version: Mapped[str] = mapped_column(String(40))  # the repair rule set in force when filed
    query_code: Mapped[str] = mapped_column(String(16), unique=True)  # 查询码 (upper case, no 0/O/1/I/L)
    status: Mapped[RepairStatus] = mapped_column(enum_col(RepairStatus, 20), default=RepairStatus.SUBMITTED)
    is_open: Mapped[bool] = mapped_column(default=True)
    answer_due: Mapped[date | None]  # the applicant answered by (22号: 10 working days)
    decision_reason: Mapped[str | None] = mapped_column(Text)  # shown to the applicant
    retry_from: Mapped[date | None]  # refused: told they may apply again from this day (advice; filing does not check it)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class RepairRecord(Base):
    """A record an application asks to repair. ``is_open`` mirrors the application's, so one record
    has at most one open application (partial unique index: ``repair_open`` even when racing)."""

    __tablename__ = "repair_records"
    __table_args__ = (
        Index("uq_repair_records_open_record", "record_id", unique=True,
              postgresql_where=text("is_open"), sqlite_where=text("is_open = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"))
    is_open: Mapped[bool] = mapped_column(default=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # repaired / expired (reached 已到期 while pending)

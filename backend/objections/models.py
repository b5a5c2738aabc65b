"""Objections (异议申诉) against credit records.

The work on an objection is a queue item of kind ``objection`` (backend.queues): acceptance by the
credit office, then verification by the department that provided the record. This table keeps what
the applicant filed and what was decided; the item keeps the state, deadline and timeline.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class Ground(StrEnum):  # 异议理由 (信用中国 wording)
    WRONG = "wrong"  # 信息错误
    OMISSION = "omission"  # 信息遗漏
    DUPLICATE = "duplicate"  # 重复公示
    NOT_PUBLISHABLE = "not_publishable"  # 不应公示
    OVERDUE_PUBLICITY = "overdue_publicity"  # 超期公示
    INCONSISTENT = "inconsistent"  # 与认定单位记录不一致


GROUND_LABELS = {
    Ground.WRONG: "信息错误",
    Ground.OMISSION: "信息遗漏",
    Ground.DUPLICATE: "重复公示",
    Ground.NOT_PUBLISHABLE: "不应公示",
    Ground.OVERDUE_PUBLICITY: "超期公示",
    Ground.INCONSISTENT: "与认定单位记录不一致",
}


class ObjectionStatus(StrEnum):
    SUBMITTED = "submitted"  # 待受理
    INCOMPLETE = "incomplete"  # 待补正 (材料不全)
    VERIFYING = "verifying"  # 核实中 (at the providing department)
    MAINTAINED = "maintained"  # 维持原信息
    CORRECTED = "corrected"  # 已更正
    REVOKED = "revoked"  # 已撤销
    REFUSED = "refused"  # 不予受理


STATUS_LABELS = {
    ObjectionStatus.SUBMITTED: "待受理",
    ObjectionStatus.INCOMPLETE: "待补正材料",
    ObjectionStatus.VERIFYING: "核实中",
    ObjectionStatus.MAINTAINED: "已办结：维持原信息",
    ObjectionStatus.CORRECTED: "已办结：信息已更正",
    ObjectionStatus.REVOKED: "已办结：信息已撤销",
    ObjectionStatus.REFUSED: "已办结：不予受理",
}
OPEN_STATUSES = frozenset({ObjectionStatus.SUBMITTED, ObjectionStatus.INCOMPLETE, ObjectionStatus.VERIFYING})


class RefuseReason(StrEnum):
    """Why an objection is not accepted (不予受理). To add one: a member here and its label in
    ``REFUSE_LABELS``; the flow and its error message read both (stored as a plain string, no migration
    while the code fits 20 characters)."""

    NOT_OWN = "not_own"  # 非本人信息
    INCOMPLETE = "incomplete"  # 材料不全 (the applicant may complete them)
    OTHER = "other"  # 其他 (the reason says which)


REFUSE_LABELS = {RefuseReason.NOT_OWN: "非本人信息", RefuseReason.INCOMPLETE: "材料不全",
                 RefuseReason.OTHER: "其他原因"}


class Objection(Base):
    __tablename__ = "objections"
    __table_args__ = (
        # One open objection per record: a second one is refused (objection_open), even when racing.
        Index("uq_objections_open_record", "record_id", unique=True,
              postgresql_where=text("is_open"), sqlite_where=text("is_open = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # the applicant (实名)
    ground: Mapped[Ground] = mapped_column(enum_col(Ground, 20))
    statement: Mapped[str] = mapped_column(Text)
    promise_version: Mapped[str] = mapped_column(String(40))  # 异议申诉信用承诺书 the applicant acknowledged
    status: Mapped[ObjectionStatus] = mapped_column(enum_col(ObjectionStatus, 20), default=ObjectionStatus.SUBMITTED)
    is_open: Mapped[bool] = mapped_column(default=True)
    refuse_reason: Mapped[RefuseReason | None] = mapped_column(enum_col(RefuseReason, 20))
    decision_reason: Mapped[str | None] = mapped_column(Text)  # shown to the applicant
    new_record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"))  # 更正: the new version
    remedy: Mapped[str | None] = mapped_column(Text)  # 消除不良影响: what was lifted or done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

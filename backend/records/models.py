"""Credit records (信用信息): administrative actions, judicial records, broken commitments, honours.

A record is never deleted. A correction writes a new version (``supersedes_id`` → the old row,
which gets ``is_current = False``); status changes are kept in ``record_events``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.platform.db import Base, enum_col, utcnow


class RecordKind(StrEnum):
    ADMIN_LICENSE = "admin_license"  # 行政许可
    ADMIN_PENALTY = "admin_penalty"  # 行政处罚
    ADMIN_COERCION = "admin_coercion"  # 行政强制
    ADMIN_CONFIRMATION = "admin_confirmation"  # 行政确认
    ADMIN_LEVY = "admin_levy"  # 行政征收
    ADMIN_PAYMENT = "admin_payment"  # 行政给付
    ADMIN_ADJUDICATION = "admin_adjudication"  # 行政裁决
    ADMIN_COMPENSATION = "admin_compensation"  # 行政补偿
    ADMIN_REWARD = "admin_reward"  # 行政奖励
    ADMIN_INSPECTION = "admin_inspection"  # 行政监督检查
    JUDGMENT_DEFAULTER = "judgment_defaulter"  # 失信被执行人
    FALSE_LITIGANT = "false_litigant"  # 虚假诉讼失信人
    COMMITMENT_BREACH = "commitment_breach"  # 违背信用承诺 (违诺)
    HONOUR = "honour"  # 表彰荣誉


RECORD_KIND_LABELS: dict[RecordKind, str] = {
    RecordKind.ADMIN_LICENSE: "行政许可",
    RecordKind.ADMIN_PENALTY: "行政处罚",
    RecordKind.ADMIN_COERCION: "行政强制",
    RecordKind.ADMIN_CONFIRMATION: "行政确认",
    RecordKind.ADMIN_LEVY: "行政征收",
    RecordKind.ADMIN_PAYMENT: "行政给付",
    RecordKind.ADMIN_ADJUDICATION: "行政裁决",
    RecordKind.ADMIN_COMPENSATION: "行政补偿",
    RecordKind.ADMIN_REWARD: "行政奖励",
    RecordKind.ADMIN_INSPECTION: "行政监督检查",
    RecordKind.JUDGMENT_DEFAULTER: "失信被执行人",
    RecordKind.FALSE_LITIGANT: "虚假诉讼失信人",
    RecordKind.COMMITMENT_BREACH: "违背信用承诺",
    RecordKind.HONOUR: "表彰荣誉",
}

# The ten kinds of 双公示 (extended by 国办发〔2019〕35号): online within 7 working days.
ADMIN_ACTION_KINDS = frozenset(k for k in RecordKind if k.value.startswith("admin_"))
JUDICIAL_KINDS = frozenset({RecordKind.JUDGMENT_DEFAULTER, RecordKind.FALSE_LITIGANT})


class Polarity(StrEnum):
    POSITIVE = "positive"  # 守信/良好信息
    NEUTRAL = "neutral"  # 一般信息 (许可、确认…)
    NEGATIVE = "negative"  # 失信信息


class Severity(StrEnum):
    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


SEVERITY_LABELS = {Severity.MINOR: "轻微", Severity.GENERAL: "一般", Severity.SERIOUS: "严重"}


class RecordStatus(StrEnum):
    PUBLICIZING = "publicizing"  # 公示中
    OBJECTED = "objected"  # 异议中
    CORRECTED = "corrected"  # 已更正 (a newer version replaced it)
    REVOKED = "revoked"  # 已撤销
    REPAIRED = "repaired"  # 已修复
    EXPIRED = "expired"  # 已到期


RECORD_STATUS_LABELS = {
    RecordStatus.PUBLICIZING: "公示中",
    RecordStatus.OBJECTED: "异议中",
    RecordStatus.CORRECTED: "已更正",
    RecordStatus.REVOKED: "已撤销",
    RecordStatus.REPAIRED: "已修复",
    RecordStatus.EXPIRED: "已到期",
}


class RecordBatch(Base):
    """One submission by a department: a single record or a spreadsheet of up to 10,000 rows."""

    __tablename__ = "record_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    source: Mapped[str] = mapped_column(String(20), default="api")  # api / csv / demo / bulk
    total_rows: Mapped[int] = mapped_column(default=0)
    accepted_rows: Mapped[int] = mapped_column(default=0)
    rejected_rows: Mapped[int] = mapped_column(default=0)
    # [{row, reason, message, field}] for the refused rows, so staff can fix and resubmit them.
    errors: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditRecord(Base):
    __tablename__ = "credit_records"
    __table_args__ = (
        Index("ix_credit_records_subject_current", "subject_id", "is_current", "kind"),
        # One current record per department decision and subject: resubmitting it is refused.
        Index(
            "uq_credit_records_current_decision",
            "department_id", "decision_no", "subject_id",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current = 1"),
        ),
        Index("ix_credit_records_status_max_end", "status", "publicity_max_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    kind: Mapped[RecordKind] = mapped_column(enum_col(RecordKind, 30))
    polarity: Mapped[Polarity] = mapped_column(enum_col(Polarity, 10))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    decision_no: Mapped[str] = mapped_column(String(100))  # 决定文书号, e.g. 淮区市监罚〔2026〕12号
    decision_date: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[Severity | None] = mapped_column(enum_col(Severity, 10))
    # 领域: 食品, 药品, 特种设备, 安全生产, 消防 had longer minimum periods under Order 58.
    domain: Mapped[str | None] = mapped_column(String(20))
    amount_yuan: Mapped[int | None]  # fine or levy in 元, where there is one
    # Publicity window (公示期), from the dated rule in force on decision_date.
    publicity_start: Mapped[date]
    publicity_min_end: Mapped[date | None]  # 最短公示期届满: repair possible from this day
    publicity_max_end: Mapped[date | None]  # 最长公示期届满: drops off automatically
    publish_deadline: Mapped[date]  # decision + 7 working days
    published_late: Mapped[bool] = mapped_column(default=False)
    rule_version: Mapped[str] = mapped_column(String(40))
    # public / withheld (轻微: 原则上不予公示) / never (107号: 警告), see backend.records.publicity.
    publication: Mapped[str] = mapped_column(String(10), default="public", server_default="public")
    # A department's basis for publishing a withheld record by exception (then at most 3 months).
    publication_basis: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RecordStatus] = mapped_column(enum_col(RecordStatus, 20), default=RecordStatus.PUBLICIZING)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"))
    is_current: Mapped[bool] = mapped_column(default=True)
    superseded_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("record_batches.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    supersedes: Mapped[CreditRecord | None] = relationship(remote_side=[id])


class RecordEvent(Base):
    """History of a record's status: who changed it, when, why."""

    __tablename__ = "record_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))  # "staff:12", "account:5", "system"
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

"""信用承诺 (credit commitments) as registered by the department that took them (登记).

Seed 二(一): 审批替代型, 主动公示型, 行业自律型, 信用修复型 commitments and 证明事项告知承诺; the signed
主动公示型, 行业自律型 and 信用修复型 commitments are registered and published on 信用淮安区, and
breaches are reported as records (``RecordKind.COMMITMENT_BREACH``) for 事中事后监管.
A commitment is never deleted: it ends kept (履约), breached (违诺) or withdrawn (registered in error).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.commitments.vocabulary import (  # noqa: F401 (re-exported for the context's modules)
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_LABELS,
    PUBLIC_TYPES,
    SUBJECT_KIND_LABELS,
    CommitmentStatus,
    CommitmentType,
    SubjectKindCode,
)
from backend.platform.db import Base, enum_col, utcnow


class Commitment(Base):
    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_subject_status", "subject_id", "status"),
        # One registration of a commitment letter per subject and department (a withdrawn one aside).
        Index(
            "uq_commitments_document",
            "subject_id", "department_id", "document_no",
            unique=True,
            postgresql_where=text("status <> 'withdrawn'"),
            sqlite_where=text("status <> 'withdrawn'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    type: Mapped[CommitmentType] = mapped_column(enum_col(CommitmentType, 20))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)  # 登记部门
    matter: Mapped[str] = mapped_column(String(200))  # 承诺事项, e.g. 食品经营许可（告知承诺）
    content: Mapped[str] = mapped_column(Text)  # 承诺内容
    document_no: Mapped[str | None] = mapped_column(String(100))  # 承诺书编号
    signed_on: Mapped[date]
    valid_until: Mapped[date | None]  # 承诺期限 (last day); None: no term
    status: Mapped[CommitmentStatus] = mapped_column(enum_col(CommitmentStatus, 10), default=CommitmentStatus.ACTIVE)
    closed_on: Mapped[date | None]  # the day it was found kept, breached or withdrawn
    close_note: Mapped[str | None] = mapped_column(Text)
    breach_record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitmentItem(Base):
    """A commitment a department offers (信用承诺事项清单, seed 二(一)): its type, who it applies to,
    its term, and the current version of its letter template (承诺书样式)."""

    __tablename__ = "commitment_items"
    __table_args__ = (Index("uq_commitment_items_department_code", "department_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    code: Mapped[str] = mapped_column(String(40))  # 事项编码, unique within the department
    name: Mapped[str] = mapped_column(String(200))  # 事项名称, becomes the commitment's matter
    type: Mapped[CommitmentType] = mapped_column(enum_col(CommitmentType, 20))
    subject_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # SubjectKindCode values
    refuse_listed: Mapped[bool] = mapped_column(default=True)  # 严重失信 / 禁入 subjects may not sign
    term_months: Mapped[int | None]  # 承诺期限; None: no term
    agency_uscc: Mapped[str | None] = mapped_column(String(18))  # 实施机关统一社会信用代码, as imported
    template_version: Mapped[int] = mapped_column(default=1)  # the current CommitmentTemplate.version
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitmentTemplate(Base):
    """One version of an item's letter template; a version is never changed once written, so a
    signed letter can always name the text it was rendered from."""

    __tablename__ = "commitment_templates"
    __table_args__ = (Index("uq_commitment_templates_item_version", "item_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("commitment_items.id"))
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitmentLetter(Base):
    """The letter a subject signed in the mini-program: the exact rendered text, its SHA-256, the
    template version and the signer. ``verify_code`` is what the QR code on the PDF carries."""

    __tablename__ = "commitment_letters"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("commitment_items.id"), index=True)
    template_version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of ``text`` (UTF-8)
    signer_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    signer_identity_level: Mapped[str] = mapped_column(String(20))  # self_declared / verified, at signing
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    approval_matter: Mapped[str | None] = mapped_column(String(200))  # 审批替代型 / 告知承诺: the approval replaced
    approval_no: Mapped[str | None] = mapped_column(String(100))


class IntegrityNotice(Base):
    """诚信教育 (seed 二(二)): the notice a subject reads and acknowledges before a first signing."""

    __tablename__ = "integrity_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntegrityAcknowledgement(Base):
    """Who acknowledged which notice version, for which subject, when."""

    __tablename__ = "integrity_acknowledgements"
    __table_args__ = (Index("uq_integrity_ack", "subject_id", "notice_version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    notice_version: Mapped[int]
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)

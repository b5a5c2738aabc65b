"""信用承诺 (credit commitments) as registered by the department that took them (登记).

Seed 二(一): 审批替代型, 主动公示型, 行业自律型, 信用修复型 commitments and 证明事项告知承诺; the signed
主动公示型, 行业自律型 and 信用修复型 commitments are registered and published on 信用淮安区, and
breaches are reported as records (``RecordKind.COMMITMENT_BREACH``) for 事中事后监管.
A commitment is never deleted: it ends kept (履约), breached (违诺) or withdrawn (registered in error).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class CommitmentType(StrEnum):
    APPROVAL = "approval"  # 审批替代型
    DISCLOSURE = "disclosure"  # 主动公示型
    INDUSTRY = "industry"  # 行业自律型
    REPAIR = "repair"  # 信用修复型
    CERTIFICATION = "certification"  # 证明事项告知承诺


COMMITMENT_TYPE_LABELS = {
    CommitmentType.APPROVAL: "审批替代型承诺",
    CommitmentType.DISCLOSURE: "主动公示型承诺",
    CommitmentType.INDUSTRY: "行业自律型承诺",
    CommitmentType.REPAIR: "信用修复型承诺",
    CommitmentType.CERTIFICATION: "证明事项告知承诺",
}

# Published on 信用淮安区 (seed 二(一): "将承诺书向'信用淮安区'网站予以公示").
PUBLIC_TYPES = frozenset({CommitmentType.DISCLOSURE, CommitmentType.INDUSTRY, CommitmentType.REPAIR})


class CommitmentStatus(StrEnum):
    ACTIVE = "active"  # 履约中
    KEPT = "kept"  # 已履约
    BREACHED = "breached"  # 已违诺
    WITHDRAWN = "withdrawn"  # 已撤销 (registered in error)


COMMITMENT_STATUS_LABELS = {
    CommitmentStatus.ACTIVE: "履约中",
    CommitmentStatus.KEPT: "已履约",
    CommitmentStatus.BREACHED: "已违诺",
    CommitmentStatus.WITHDRAWN: "已撤销",
}


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

"""Credit lists (红名单 / 重点关注名单 / 严重失信主体名单) and market or industry bans (禁入)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class ListType(StrEnum):
    RED = "red"  # 红名单 (守信激励)
    WATCH = "watch"  # 重点关注名单
    SERIOUS = "serious"  # 严重失信主体名单
    BAN = "ban"  # 市场和行业禁入


LIST_TYPE_LABELS = {
    ListType.RED: "红名单",
    ListType.WATCH: "重点关注名单",
    ListType.SERIOUS: "严重失信主体名单",
    ListType.BAN: "市场和行业禁入",
}


# 市场和行业禁入 domains (seed 四(四)); a ban names one of them, so the compare-and-intercept check of
# a department's domain finds it.
BAN_DOMAINS = ("食品药品", "生态环境", "工程质量", "安全生产", "养老托幼", "文化旅游", "城市运行安全",
               "交通运输", "金融", "政府采购", "招标投标")


class ListEntryStatus(StrEnum):
    PROPOSED = "proposed"  # 待信用办确认: a department's 严重失信 / 禁入 proposal, not in force
    ACTIVE = "active"  # 在列
    REMOVED = "removed"  # 已移出 (repair, correction, decision)
    EXPIRED = "expired"  # 期满移出
    REJECTED = "rejected"  # 不予列入: the credit office refused the proposal (never in force)


LIST_STATUS_LABELS = {
    ListEntryStatus.PROPOSED: "待信用办确认",
    ListEntryStatus.ACTIVE: "在列",
    ListEntryStatus.REMOVED: "已移出",
    ListEntryStatus.EXPIRED: "期满移出",
    ListEntryStatus.REJECTED: "不予列入",
}

# Seed 四(一) 审慎认定 and issue 13: a department proposes these, the credit office confirms, so no
# single reviewer blacklists anyone. The other lists (红名单, 重点关注) take effect when entered.
CONFIRMED_LISTS = frozenset({ListType.SERIOUS, ListType.BAN})


class ListEntry(Base):
    __tablename__ = "list_entries"
    __table_args__ = (Index("ix_list_entries_subject_status", "subject_id", "status", "list_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    list_type: Mapped[ListType] = mapped_column(enum_col(ListType, 10))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"))
    decision_no: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(String(40))  # for bans: 食品药品, 工程质量 …
    listed_on: Mapped[date]
    expires_on: Mapped[date | None]  # None: until removed (a ban may be permanent: 永久逐出)
    status: Mapped[ListEntryStatus] = mapped_column(enum_col(ListEntryStatus, 10), default=ListEntryStatus.ACTIVE)
    removed_on: Mapped[date | None]
    removal_reason: Mapped[str | None] = mapped_column(Text)
    # 四(五): the legal representative's entry that follows a firm's 严重失信 entry (and leaves with it).
    linked_entry_id: Mapped[int | None] = mapped_column(ForeignKey("list_entries.id"), index=True)
    # Proposal and confirmation (CONFIRMED_LISTS): who proposed, who of the credit office confirmed
    # or refused it, when, and their note (the refusal's reason).
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

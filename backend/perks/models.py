"""The perk catalogue (信易+ 权益目录) and its vouchers (权益券)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class PerkCategory(StrEnum):
    LOAN = "loan"  # 信易贷
    APPROVAL = "approval"  # 信易批 (容缺受理、绿色通道)
    RENT = "rent"  # 信易租 (免押金)
    TRAVEL = "travel"  # 信易游 (景区优惠)
    TRANSIT = "transit"  # 信易行 (公交优惠)


PERK_CATEGORY_LABELS = {
    PerkCategory.LOAN: "信易贷",
    PerkCategory.APPROVAL: "信易批",
    PerkCategory.RENT: "信易租",
    PerkCategory.TRAVEL: "信易游",
    PerkCategory.TRANSIT: "信易行",
}
# Perks taken with a voucher scanned at the merchant (the others are applications).
VOUCHER_CATEGORIES = frozenset({PerkCategory.RENT, PerkCategory.TRAVEL, PerkCategory.TRANSIT})


class Perk(Base):
    """One benefit of one provider (a bank, a department or a merchant: ``provider_id``).

    ``rule`` is the eligibility rule as data: ``{"min_grade": "good"}`` (a firm grade A–D or a person
    band key, as in the rules files) and/or ``{"min_score": 650}``. No active 严重失信 entry, and no 禁入
    ban in ``domain``, is always required. ``red_bonus`` is the extra benefit of a 红名单 subject.
    """

    __tablename__ = "perks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[PerkCategory] = mapped_column(enum_col(PerkCategory, 10))
    provider_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    subject_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["firm"], ["person"], both
    domain: Mapped[str | None] = mapped_column(String(40))  # 禁入 domain that excludes (文化旅游 …)
    rule: Mapped[dict] = mapped_column(JSON, default=dict)
    benefit: Mapped[str] = mapped_column(Text)
    red_bonus: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    quota: Mapped[int | None]  # vouchers that may be issued in all; None: no limit
    issued: Mapped[int] = mapped_column(default=0)
    voucher_hours: Mapped[int] = mapped_column(default=72)  # how long a claimed voucher is valid
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoucherStatus(StrEnum):
    ISSUED = "issued"  # 待使用
    REDEEMED = "redeemed"  # 已核销


class Voucher(Base):
    """A one-time voucher of a perk for one subject, claimed by a mini-program account."""

    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_account_perk", "account_id", "perk_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    perk_id: Mapped[int] = mapped_column(ForeignKey("perks.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)  # in the signed code; a forged id fails
    status: Mapped[VoucherStatus] = mapped_column(enum_col(VoucherStatus, 10), default=VoucherStatus.ISSUED)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

"""Shares of a credit card (信用名片分享): a signed token points at one row here.

The row, not the token, is the source of truth: revoking it or letting it expire stops the token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class CardShare(Base):
    __tablename__ = "card_shares"
    __table_args__ = (Index("ix_card_shares_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    last_viewed_at: Mapped[datetime | None]

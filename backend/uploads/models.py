"""Uploaded evidence files, stored in the database.

Why the database and not the instance folder: web nodes and workers share one PostgreSQL but not
a disk (DESIGN §2: nothing a node needs may live on one node), a file and the objection that cites
it commit or roll back together (a refused request stores nothing), and backups cover both. Files
are small (≤ 10 MB, at most 10 per objection), so a ``bytea`` column is cheap enough.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.platform.db import Base, utcnow


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)  # the uploader
    media_type: Mapped[str] = mapped_column(String(40))  # application/pdf, image/jpeg, image/png
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # The bytes kept: images re-encoded (metadata dropped), PDFs as sent. Deferred: lists never load them.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    attached_to: Mapped[str | None] = mapped_column(String(40))  # "objection:12" once used
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

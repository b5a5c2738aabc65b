"""Cross-cutting tables: the audit chain, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class AuditEntry(Base):
    """Append-only, MAC-chained: ``hash = HMAC-SHA256(audit key[key_id], prev_hash | canonical row)``.

    Rows written before migration 0009 have no ``key_id`` and a plain SHA-256 ``hash``; the first
    keyed row's MAC covers their head, so they cannot be rewritten either (backend/common/audit.py).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # "staff:3", "account:17", "system"
    action: Mapped[str] = mapped_column(String(64), index=True)  # "record.create", "pii.view" …
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(16))  # which AUDIT_KEYS key made ``hash``

    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)


class IdempotencyKey(Base):
    """A mini-program write replayed with the same ``Idempotency-Key`` gets the stored answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))  # "account:17" (or "ip:…" before login)
    key: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

"""Lists factory: a list entry (名单) inserted directly with the columns the card and the engine read."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from backend.lists.models import ListEntry


def make_listing(
    db: Session,
    subject_id: int,
    list_type: str = "red",
    *,
    department_id: int,
    listed: date,
    status: str = "active",
    expires: date | None = None,
    reason: str = "测试",
) -> ListEntry:
    entry = ListEntry(
        subject_id=subject_id, list_type=list_type, department_id=department_id, reason=reason,
        listed_on=listed, expires_on=expires, status=status,
    )
    db.add(entry)
    db.flush()
    return entry

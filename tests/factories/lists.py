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


def confirm_proposal(db: Session, entry: ListEntry, by, reason: str = "经审核，同意列入") -> ListEntry:
    """The credit office confirms a 严重失信 / 禁入 proposal through the queue engine (``by``: a
    credit-office StaffUser other than the proposer)."""
    from backend.common.actor import Actor
    from backend.queues import services as queue

    actor = Actor("staff", by.id, role=str(by.role), department_id=by.department_id)
    item = queue.item_for(db, "list_proposal", entry.id)
    assert item is not None, "no list_proposal item: the entry was not proposed"
    queue.decide(db, actor, item.id, outcome="confirm", reason=reason)
    db.flush()
    db.refresh(entry)
    return entry

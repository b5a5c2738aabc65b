"""Queue items (待办事项) and their timelines.

One row per piece of staff work — an objection, a firm-agency request, later a repair or a loan —
whatever its kind. The kind's own table (``objections``, ``firm_agencies`` …) keeps the domain data;
``ref_id`` points at it. ``state`` takes the values its kind declares in
:mod:`backend.queues.kinds`; ``deadline`` and ``deadline_rule`` say when the current step is due and
which dated rule (:mod:`backend.queues.deadlines`) set it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class QueueItem(Base):
    __tablename__ = "queue_items"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="uq_queue_items_kind_ref"),
        Index("ix_queue_items_department_open", "department_id", "is_open", "kind"),
        Index("ix_queue_items_open_deadline", "is_open", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # a key of backend.queues.kinds.KINDS
    ref_id: Mapped[int]  # the kind's own row (objections.id, firm_agencies.id …)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # routed to
    state: Mapped[str] = mapped_column(String(30))
    is_open: Mapped[bool] = mapped_column(default=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    step_started_on: Mapped[date]  # the day the current step began (its deadline counts from here)
    deadline: Mapped[date | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(40))  # DeadlineRule.code
    escalated_at: Mapped[datetime | None]  # overdue: escalated to the credit office (信用办督办)
    outcome: Mapped[str | None] = mapped_column(String(30))
    closed_at: Mapped[datetime | None]
    closed_late: Mapped[bool | None]  # decided after the deadline of its last step
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueEvent(Base):
    """The timeline of an item: who did what, when, with which note."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # "staff:12", "account:5", "system"
    action: Mapped[str] = mapped_column(String(30))  # create, claim, release, reassign, reroute, decide …
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

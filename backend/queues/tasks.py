"""Queue jobs (see backend.platform.schedule)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.platform.jobs import job
from backend.queues.reports import escalate_overdue


@job
def escalate_overdue_items(session: Session) -> int:
    """Daily: overdue open items are escalated to the credit office (returns how many)."""
    return escalate_overdue(session)

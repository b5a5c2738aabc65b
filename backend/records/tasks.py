"""Credit record jobs (run by the scheduler / workers; see backend.platform.jobs and backend.platform.schedule)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.platform.jobs import job
from backend.records.services import expire_due_records
from backend.repair.services import close_for_expired_records


@job
def expire_records(session: Session) -> int:
    """Daily: 公示中 records past their maximum publicity period become 已到期 (returns how many); a
    pending repair application on them closes itself with that reason."""
    count = expire_due_records(session)
    close_for_expired_records(session)
    return count

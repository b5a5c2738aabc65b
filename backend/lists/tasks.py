"""List jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.jobs import job
from backend.lists.services import expire_list_entries


@job
def expire_lists(session: Session) -> int:
    """Daily: entries past their ``expires_on`` leave the list (期满移出)."""
    return expire_list_entries(session)

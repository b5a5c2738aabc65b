"""List jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.lists.services import expire_list_entries
from backend.platform.jobs import job


@job
def expire_lists(session: Session) -> int:
    """Daily: entries past their ``expires_on`` leave the list (期满移出)."""
    return expire_list_entries(session)

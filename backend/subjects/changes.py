"""One place that says "this subject's credit data changed".

Records, list entries, commitments, legal-representative links (and later objections, repairs)
call :func:`subject_changed`. After the transaction commits — never for a rolled-back change — the
subjects are rescored (a job: inline in the embedded default, RQ with Redis) and their cached cards
are dropped, so the next read shows the change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session


def subject_changed(session: Session, subject_ids: Iterable[int | None], cause: str) -> None:
    """Rescore and drop cached cards of ``subject_ids`` once ``session`` commits."""
    from backend.cards.cache import invalidate_cards
    from backend.evaluation.services import request_recompute

    ids = sorted({int(i) for i in subject_ids if i is not None})
    if not ids:
        return
    invalidate_cards(session, ids)
    request_recompute(session, ids, cause=cause)

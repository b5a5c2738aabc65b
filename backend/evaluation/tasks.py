"""Evaluation jobs (run after the enqueuing transaction commits; see backend.platform.jobs).

``recompute_subjects`` is enqueued by the app's after-commit listener for every committed
:func:`backend.subjects.changes.subject_changed`; ``recompute_all`` is the nightly rescoring.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from backend.evaluation.batch import recompute_everything
from backend.evaluation.services import evaluate_subjects
from backend.platform.jobs import job

log = logging.getLogger(__name__)


@job
def recompute_subjects(session: Session, subject_ids: list[int], cause: str = "change") -> int:
    """Rescore these subjects with explanations; returns how many were found and scored."""
    return len(evaluate_subjects(session, subject_ids, cause=cause))


@job
def recompute_all(session: Session, as_of: str | None = None) -> int:
    """The nightly set-based rescoring of every subject (``flask credit recompute``)."""
    return recompute_everything(session, date.fromisoformat(as_of) if as_of else None).total

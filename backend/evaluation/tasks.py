"""Evaluation jobs (run after the enqueuing transaction commits; see backend.jobs)."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.evaluation.services import evaluate_subject
from backend.jobs import job

log = logging.getLogger(__name__)


@job
def recompute_subjects(session: Session, subject_ids: list[int], cause: str = "change") -> int:
    """Rescore these subjects with explanations (``evaluate_subject`` each); returns how many."""
    done = 0
    for subject_id in subject_ids:
        try:
            evaluate_subject(session, int(subject_id), cause=cause)
        except NotFound:  # the subject is gone (merged test data, …): nothing to score
            log.warning("rescoring: subject %s not found", subject_id)
            continue
        done += 1
    return done


@job
def recompute_all(session: Session, as_of: str | None = None) -> int:
    """The nightly set-based rescoring of every subject (``flask credit recompute``)."""
    from backend.evaluation.batch import recompute_everything

    return recompute_everything(session, date.fromisoformat(as_of) if as_of else None).total

"""Evaluation services: score one subject from its records, lists and commitments, store it, keep grade history.

Other contexts call:
- :func:`evaluate_subject` to rescore now (inside their transaction),
- :func:`backend.subjects.changes.subject_changed` after changing records / lists / commitments / objections /
  repairs: the app's after-commit listener then enqueues the rescoring (``tasks.recompute_subjects``),
- :func:`get_evaluation` to read a subject's result with its explanation (rebuilt if stale).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.evaluation.engine import Result, evaluate
from backend.evaluation.facts import load_facts, store_results, value_of
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.rules import rules_for
from backend.platform.errors import NotFound
from backend.subjects.models import Subject


def today_cn() -> date:
    """Publicity windows and decay are counted in China's calendar days."""
    return china_today()


def evaluate_subject(
    session: Session,
    subject_id: int,
    as_of: date | None = None,
    cause: str = "",
    *,
    actor: Actor = SYSTEM,
) -> Result:
    """Rescore one subject from its current records and lists; upsert; history on a grade change.

    Flushes, never commits. A grade change is audited (``evaluation.grade_change``); a score tick
    without a grade change is not a state change anyone acts on, so it is not.
    """
    results = evaluate_subjects(session, [subject_id], as_of, cause, actor=actor)
    if subject_id not in results:
        raise NotFound("subject_not_found", "没有找到该信用主体。")
    return results[subject_id]


def evaluate_subjects(
    session: Session,
    subject_ids: Iterable[int],
    as_of: date | None = None,
    cause: str = "",
    *,
    actor: Actor = SYSTEM,
    chunk: int = 500,
) -> dict[int, Result]:
    """Rescore many subjects with explanations, a few queries per ``chunk`` (not per subject).

    Unknown ids are skipped. Used after a 10,000-row batch, where one query per subject would hold
    the request (inline jobs) or a worker for a minute.
    """
    as_of = as_of or today_cn()
    ids = sorted({int(i) for i in subject_ids})
    out: dict[int, Result] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        kinds = dict(session.execute(select(Subject.id, Subject.kind).where(Subject.id.in_(part))).all())
        facts = load_facts(session, kinds)
        current = {e.subject_id: e for e in session.execute(
            select(Evaluation).where(Evaluation.subject_id.in_(list(kinds)))).scalars()}
        for subject_id, kind in kinds.items():
            out[subject_id] = evaluate(rules_for(value_of(kind), as_of), facts.records[subject_id],
                                       facts.lists[subject_id], as_of, facts.commitments[subject_id])
        histories = store_results(session, ((sid, out[sid], current.get(sid)) for sid in kinds), cause or "evaluate")
        session.flush()
        for subject_id, history in histories.items():
            result = out[subject_id]
            audit(session, actor, "evaluation.grade_change", "subject", subject_id, old_grade=history.old_grade,
                  new_grade=history.new_grade, old_score=history.old_score, new_score=history.new_score,
                  rules_version=result.rules_version, cause=history.cause)
    return out


def get_evaluation(session: Session, subject_id: int, as_of: date | None = None) -> Result:
    """The stored result with its explanation; rescored when stale.

    Stale: no row yet, explanation NULL (written by the batch), computed for an earlier day (decay and
    "可申请修复" notes move with the date), or under rules that are no longer in force.
    """
    as_of = as_of or today_cn()
    row = session.get(Evaluation, subject_id)
    if (
        row is None
        or row.explanation is None
        or row.as_of != as_of
        or row.rules_version != rules_for(row.kind, as_of).version
    ):
        return evaluate_subject(session, subject_id, as_of, cause="read")
    return Result.from_dict(row.explanation)


def grade_history(session: Session, subject_id: int, limit: int = 50) -> list[EvaluationHistory]:
    """Grade / band changes of a subject, newest first."""
    return list(session.execute(
        select(EvaluationHistory).where(EvaluationHistory.subject_id == subject_id)
        .order_by(EvaluationHistory.at.desc(), EvaluationHistory.id.desc()).limit(limit)
    ).scalars())

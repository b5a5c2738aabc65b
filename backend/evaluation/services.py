"""Evaluation services: score one subject from its records, lists and commitments, store it, keep grade history.

Other contexts call:
- :func:`evaluate_subject` to rescore now (inside their transaction),
- :func:`request_recompute` after changing records / lists / commitments / objections / repairs: the rescoring runs
  as a job once their transaction commits (inline in the embedded default, RQ otherwise),
- :func:`get_evaluation` to read a subject's result with its explanation (rebuilt if stale).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.models import Commitment, CommitmentStatus
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.evaluation.engine import CommitmentFact, ListFact, RecordFact, Result, evaluate
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.rules import rules_for
from backend.lists.models import ListEntry
from backend.platform.db import utcnow
from backend.platform.errors import NotFound
from backend.records.models import CreditRecord
from backend.subjects.models import Subject


def today_cn() -> date:
    """Publicity windows and decay are counted in China's calendar days."""
    return china_today()


def _val(v):
    return None if v is None else getattr(v, "value", v)


class Facts(NamedTuple):
    """Engine inputs per subject id: current records, all list entries, kept commitments."""

    records: dict[int, list[RecordFact]]
    lists: dict[int, list[ListFact]]
    commitments: dict[int, list[CommitmentFact]]


def load_facts(session: Session, subject_ids: Iterable[int]) -> Facts:
    """Current records, all list entries and kept commitments of these subjects, as engine inputs."""
    ids = list(subject_ids)
    facts = Facts({i: [] for i in ids}, {i: [] for i in ids}, {i: [] for i in ids})
    records, lists, commitments = facts
    if not ids:
        return facts
    rec_rows = session.execute(
        select(
            CreditRecord.subject_id, CreditRecord.id, CreditRecord.kind, CreditRecord.polarity,
            CreditRecord.severity, CreditRecord.status, CreditRecord.decision_date,
            CreditRecord.publicity_min_end, CreditRecord.publicity_max_end, CreditRecord.title,
            CreditRecord.rule_version,
        ).where(CreditRecord.subject_id.in_(ids), CreditRecord.is_current.is_(True))
    ).all()
    for r in rec_rows:
        records[r.subject_id].append(RecordFact(
            id=r.id, kind=_val(r.kind), polarity=_val(r.polarity), severity=_val(r.severity),
            status=_val(r.status), decision_date=r.decision_date, publicity_min_end=r.publicity_min_end,
            publicity_max_end=r.publicity_max_end, title=r.title or "", rule_version=r.rule_version or "",
        ))
    list_rows = session.execute(
        select(ListEntry.subject_id, ListEntry.id, ListEntry.list_type, ListEntry.status, ListEntry.listed_on,
               ListEntry.expires_on).where(ListEntry.subject_id.in_(ids))
    ).all()
    for e in list_rows:
        lists[e.subject_id].append(ListFact(
            id=e.id, list_type=_val(e.list_type), status=_val(e.status), listed_on=e.listed_on,
            expires_on=e.expires_on,
        ))
    kept = session.execute(
        select(Commitment.subject_id, Commitment.id, Commitment.closed_on, Commitment.matter)
        .where(Commitment.subject_id.in_(ids), Commitment.status == CommitmentStatus.KEPT)
    ).all()
    for c in kept:
        commitments[c.subject_id].append(CommitmentFact(id=c.id, kept_on=c.closed_on, title=c.matter))
    return facts


def store_result(
    session: Session,
    subject_id: int,
    result: Result,
    cause: str,
    current: Evaluation | None,
    *,
    explain: bool = True,
) -> EvaluationHistory | None:
    """Upsert the evaluation row; add a history row when the grade / band changed."""
    history = None
    if current is not None and current.grade != result.grade:
        history = EvaluationHistory(
            subject_id=subject_id, old_grade=current.grade, new_grade=result.grade, old_score=current.score,
            new_score=result.score, rules_version=result.rules_version, cause=cause[:100],
        )
        session.add(history)
    if current is None:
        current = Evaluation(subject_id=subject_id, kind=result.subject_kind)
        session.add(current)
    current.score = result.score
    current.grade = result.grade
    current.rules_version = result.rules_version
    current.as_of = result.as_of
    current.explanation = result.to_dict() if explain else None
    current.computed_at = utcnow()
    return history


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
        changes = []
        for subject_id, kind in kinds.items():
            result = evaluate(rules_for(_val(kind), as_of), facts.records[subject_id], facts.lists[subject_id], as_of,
                              facts.commitments[subject_id])
            history = store_result(session, subject_id, result, cause or "evaluate", current.get(subject_id))
            if history is not None:
                changes.append((subject_id, history, result))
            out[subject_id] = result
        session.flush()
        for subject_id, history, result in changes:
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


def request_recompute(session: Session, subject_ids: Iterable[int], cause: str = "change") -> None:
    """Rescore these subjects after ``session`` commits (never for a rolled-back change)."""
    from backend.evaluation.tasks import recompute_subjects
    from backend.platform.jobs import enqueue

    ids = sorted({int(i) for i in subject_ids})
    if ids:
        enqueue(session, recompute_subjects, ids, cause)

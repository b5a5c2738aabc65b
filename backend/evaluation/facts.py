"""The evaluation's facts: loading a subject's engine inputs and storing the engine's result.

One module for both ends of a rescoring, used by the engine's service (``services.evaluate_subjects``),
the nightly batch's Python path (``batch``) and the card's evaluation (``backend.cards.evaluation``):
the card reads its rows with its own queries (it shows more columns) and turns them into facts with
the same converters, so the card's grade is the grade the service would store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.models import Commitment, CommitmentStatus
from backend.evaluation.engine import CommitmentFact, ListFact, RecordFact, Result
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.lists.models import ListEntry
from backend.platform.db import upsert, utcnow
from backend.records.models import CreditRecord


def value_of(v):
    """An enum member's value (rows from Core queries carry members, the engine compares strings)."""
    return None if v is None else getattr(v, "value", v)


def record_fact(r) -> RecordFact:
    """A current record row (id, kind, polarity, severity, status, decision_date, publicity_min_end,
    publicity_max_end, title, rule_version) as an engine input."""
    return RecordFact(
        id=r.id, kind=value_of(r.kind), polarity=value_of(r.polarity), severity=value_of(r.severity), status=value_of(r.status),
        decision_date=r.decision_date, publicity_min_end=r.publicity_min_end, publicity_max_end=r.publicity_max_end,
        title=r.title or "", rule_version=r.rule_version or "",
    )


def list_fact(e) -> ListFact:
    """A list-entry row (id, list_type, status, listed_on, expires_on) as an engine input."""
    return ListFact(id=e.id, list_type=value_of(e.list_type), status=value_of(e.status), listed_on=e.listed_on,
                    expires_on=e.expires_on)


def commitment_fact(c) -> CommitmentFact:
    """A kept commitment row (id, closed_on, matter) as an engine input."""
    return CommitmentFact(id=c.id, kept_on=c.closed_on, title=c.matter)


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
        records[r.subject_id].append(record_fact(r))
    list_rows = session.execute(
        select(ListEntry.subject_id, ListEntry.id, ListEntry.list_type, ListEntry.status, ListEntry.listed_on,
               ListEntry.expires_on).where(ListEntry.subject_id.in_(ids))
    ).all()
    for e in list_rows:
        lists[e.subject_id].append(list_fact(e))
    kept = session.execute(
        select(Commitment.subject_id, Commitment.id, Commitment.closed_on, Commitment.matter)
        .where(Commitment.subject_id.in_(ids), Commitment.status == CommitmentStatus.KEPT)
    ).all()
    for c in kept:
        commitments[c.subject_id].append(commitment_fact(c))
    return facts


def store_results(
    session: Session,
    results: Iterable[tuple[int, Result, Evaluation | None]],
    cause: str,
    *,
    explain: bool = True,
) -> dict[int, EvaluationHistory]:
    """Store each ``(subject id, result, its current row or None)``; a history row (returned by
    subject id) where the grade / band changed.

    First evaluations are one upsert (``backend.platform.db.upsert``): two requests may score the
    same subject for the first time at the same moment (two devices open the perks page, a recompute
    job runs meanwhile). The second then waits for the first and updates its row; an ORM add failed it
    on ``pk_evaluations`` (409).
    """
    histories: dict[int, EvaluationHistory] = {}
    first: list[dict] = []
    now = utcnow()
    for subject_id, result, current in results:
        values = {"score": result.score, "grade": result.grade, "rules_version": result.rules_version,
                  "as_of": result.as_of, "explanation": result.to_dict() if explain else None, "computed_at": now}
        if current is None:
            first.append(dict(values, subject_id=subject_id, kind=result.subject_kind))
            continue
        if current.grade != result.grade:
            histories[subject_id] = EvaluationHistory(
                subject_id=subject_id, old_grade=current.grade, new_grade=result.grade, old_score=current.score,
                new_score=result.score, rules_version=result.rules_version, cause=cause[:100],
            )
            session.add(histories[subject_id])
        for name, value in values.items():
            setattr(current, name, value)
    upsert(session, Evaluation, first, key=("subject_id",))
    return histories

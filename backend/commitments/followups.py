"""承诺履约核查 (commitment follow-ups) on the review-queue engine (issue 11 item 1, seed 二(一)
事中事后监管): an active commitment past its term is checked by the department that took it.

- :func:`open_followups` (daily job ``commitments-followups``): one queue item of kind
  ``commitment_followup`` per lapsed active commitment (``valid_until`` before today, still 履约中),
  routed to the commitment's department. Idempotent: a commitment that has an item gets no second one
  (checked in the query, and ``uq_queue_items_kind_ref`` holds it against a concurrent run).
- :func:`apply_queue_decision` (the kind's handler): 践诺 ``kept`` and 撤回 ``withdrawn`` through
  :func:`backend.commitments.services.close_commitment`; 违诺 ``breached`` through
  :func:`backend.commitments.breaches.record_breach` (the 违背信用承诺 record, the closing and the
  重点关注 entry), which needs the decision's 文书号 (``decision_no``).
- A commitment closed through the commitments API meanwhile closes its item (``closed_elsewhere``).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.commitments.breaches import record_breach
from backend.commitments.models import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_LABELS,
    Commitment,
    CommitmentStatus,
    CommitmentType,
)
from backend.commitments.services import close_commitment
from backend.common.actor import SYSTEM, Actor
from backend.common.clock import china_today
from backend.common.text import clean_text, field_error
from backend.platform.errors import Conflict
from backend.queues import services as queue
from backend.queues.kinds import DONE, ItemDescription, Next
from backend.queues.models import QueueItem
from backend.records.queries import describe_departments, describe_subjects

KIND = "commitment_followup"
NOTE_MAX = 1000
BATCH = 5000  # items opened per run at most; the rest on the next run
CONTENT_SHOWN = 500  # characters of the commitment's text on the detail page


def lapsed_without_item(today: date):
    """Active commitments past their term that have no follow-up item yet."""
    has_item = exists().where(QueueItem.kind == KIND, QueueItem.ref_id == Commitment.id)
    return (select(Commitment.id, Commitment.subject_id, Commitment.department_id, Commitment.valid_until)
            .where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.valid_until < today, ~has_item)
            .order_by(Commitment.valid_until, Commitment.id))


def open_followups(session: Session, actor: Actor = SYSTEM, today: date | None = None) -> int:
    """Open the missing 承诺履约核查 items; returns how many were opened (0 on a second run)."""
    today = today or china_today()
    opened = 0
    for row in session.execute(lapsed_without_item(today).limit(BATCH)).all():
        try:
            with session.begin_nested():  # a concurrent run opened it first: skip, keep the others
                # The check is due "承诺期满后10个工作日内": counted from the day after the term, not from
                # the day the job ran (a job that was down, or a backlog, must not move deadlines).
                queue.open_item(session, actor, kind=KIND, ref_id=row.id, subject_id=row.subject_id,
                                department_id=row.department_id, start=row.valid_until + timedelta(days=1),
                                note=f"承诺期限{row.valid_until.isoformat()}已满，待核查履约情况")
        except IntegrityError:
            continue
        opened += 1
    return opened


def apply_queue_decision(session: Session, actor: Actor, item, outcome: str, reason: str | None, data: dict) -> Next:
    """Queue handler of kind ``commitment_followup``: close the commitment as the decision says."""
    note = clean_text(reason, "reason", "核查说明", True, NOTE_MAX)
    if outcome == "breached":
        decision_no = clean_text(data.get("decision_no"), "decision_no", "违诺认定文书号", False, 100)
        if not decision_no:
            raise field_error("decision_no", "decision_no_required",
                              "认定违诺请填写认定文书号（将生成一条违背信用承诺记录）。")
        record_breach(session, actor, item.ref_id, decision_no=decision_no, note=note,
                      decision_date=data.get("decision_date"), severity=data.get("severity") or "general",
                      via_queue=True)
    elif outcome in ("kept", "withdrawn"):
        close_commitment(session, actor, item.ref_id, outcome=CommitmentStatus(outcome), note=note, via_queue=True)
    else:  # the engine only passes the kind's outcomes
        raise Conflict("outcome_invalid", "该事项不能作此决定。")
    return Next(DONE)


def describe_item(session: Session, actor: Actor, item) -> ItemDescription:
    """The commitment as the reviewer checks it: who, what, signed when, the term, its state."""
    c = session.get(Commitment, item.ref_id)
    if c is None:
        return ItemDescription()
    subject = describe_subjects(session, [c.subject_id]).get(c.subject_id, {})
    dept = describe_departments(session, [c.department_id]).get(c.department_id, {})
    today = china_today()
    content = c.content if len(c.content) <= CONTENT_SHOWN else c.content[:CONTENT_SHOWN] + "……"
    facts = [
        ("主体", f"{subject.get('name', '')}（{subject.get('code', '')}）"),
        ("承诺类型", COMMITMENT_TYPE_LABELS[CommitmentType(c.type)]),
        ("承诺事项", c.matter),
        ("承诺书编号", c.document_no or "—"),
        ("登记部门", dept.get("name", "")),
        ("签署日期", c.signed_on.isoformat()),
        ("承诺期限", c.valid_until.isoformat() if c.valid_until else "无期限"),
    ]
    if c.valid_until is not None and c.status == CommitmentStatus.ACTIVE and c.valid_until < today:
        facts.append(("期满", f"已期满{(today - c.valid_until).days}天"))
    facts += [("状态", COMMITMENT_STATUS_LABELS[CommitmentStatus(c.status)]), ("承诺内容", content)]
    if c.close_note:
        facts.append(("核查说明", c.close_note))
    return ItemDescription(facts=tuple(facts), record_ids=(c.breach_record_id,) if c.breach_record_id else ())


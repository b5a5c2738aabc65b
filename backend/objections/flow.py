"""The staff side of an objection: the decisions of its queue item (kind ``objection``).

Steps (deadlines: :mod:`backend.queues.deadlines`, 广州 practice kept as data):

1. 待受理 at the credit office, 2 working days: ``accept`` → routed to the department that provided
   the record; ``refuse`` with a ``refuse_reason`` (codes and labels: ``RefuseReason`` and
   ``REFUSE_LABELS`` in :mod:`backend.objections.models`, the one list) → closed, the record back to
   公示中; ``incomplete`` (材料不全) → 待补正, the applicant may complete the file.
2. 办理中 at the providing department, 10 working days: ``maintain`` (维持, the record back to
   公示中), ``correct`` (更正: a new version through the records service, ``changes`` as in a
   correction) or ``revoke`` (撤销). A list entry resting on a revoked record — or on a corrected one
   when ``lift_list_entries`` — is lifted and the remedy (消除不良影响) recorded on the objection.

Every record change goes through :mod:`backend.records.services`, which calls
``subject_changed``: the card is dropped and the subject rescored after commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.text import clean_text, field_error
from backend.lists.models import LIST_TYPE_LABELS, ListEntry, ListEntryStatus
from backend.lists.services import remove_list_entry
from backend.objections.models import REFUSE_LABELS, Objection, ObjectionStatus, RefuseReason
from backend.platform.db import utcnow
from backend.queues.kinds import DONE, Next
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord, RecordStatus
from backend.records.services import change_status, supersede_record
from backend.staff.services import scoped_department_id


def _reason(reason: str | None, label: str) -> str:
    if not reason:
        raise field_error("reason", "reason_required", f"请填写{label}，申请人会看到。")
    return reason


def _back_to_publicity(session: Session, actor: Actor, record: CreditRecord, note: str) -> None:
    if record.is_current and record.status == RecordStatus.OBJECTED:
        change_status(session, actor, record, RecordStatus.PUBLICIZING, note)


def _close(objection: Objection, status: ObjectionStatus, reason: str) -> None:
    objection.status, objection.is_open = status, False
    objection.decision_reason, objection.decided_at = reason, utcnow()


def _lift_entries(session: Session, actor: Actor, objection: Objection, record_id: int) -> list[str]:
    """Lift the active list entries that rest on the wrong record; returns the remedy lines."""
    entries = session.execute(
        select(ListEntry).where(ListEntry.record_id == record_id, ListEntry.status == ListEntryStatus.ACTIVE)
    ).scalars().all()
    lines = []
    for entry in entries:
        # The entry may belong to another department (a 严重失信 listing by the credit office on a
        # department's record): the lifting follows from this decision, so the system performs it
        # and the audit row of the decision names it.
        allowed = scoped_department_id(actor)
        who = actor if allowed is None or allowed == entry.department_id else SYSTEM
        remove_list_entry(session, who, entry.id, f"异议核实认定信息有误（异议申请{objection.id}），依法移出并消除不良影响")
        lines.append(f"已移出{LIST_TYPE_LABELS[entry.list_type]}（条目{entry.id}）")
    return lines


def apply_decision(session: Session, actor: Actor, item: QueueItem, outcome: str, reason: str | None,
                   data: dict[str, Any]) -> Next:
    """The queue handler of kind ``objection`` (see the module doc)."""
    objection = session.execute(select(Objection).where(Objection.id == item.ref_id).with_for_update()).scalar_one()
    record = session.get(CreditRecord, objection.record_id)
    if item.state in ("pending", "awaiting_applicant"):
        if outcome == "accept":
            objection.status = ObjectionStatus.VERIFYING
            return Next("verifying", department_id=record.department_id)
        try:
            why = RefuseReason(data.get("refuse_reason") or "")
        except ValueError:
            choices = "、".join(f"{code.value}（{label}）" for code, label in REFUSE_LABELS.items())
            raise field_error("refuse_reason", "refuse_reason_invalid", f"请选择不予受理的原因：{choices}。") from None
        text = _reason(reason, "不予受理的原因")
        objection.refuse_reason = why
        if why == RefuseReason.INCOMPLETE and item.state == "pending":
            objection.status, objection.decision_reason = ObjectionStatus.INCOMPLETE, text
            return Next("awaiting_applicant")
        _close(objection, ObjectionStatus.REFUSED, text)
        _back_to_publicity(session, actor, record, f"异议不予受理：{REFUSE_LABELS[why]}")
        return Next(DONE)
    text = _reason(reason, "核实结论的理由")
    remedy: list[str] = []
    if outcome == "maintain":
        _close(objection, ObjectionStatus.MAINTAINED, text)
        _back_to_publicity(session, actor, record, "异议核实：维持原信息")
    elif outcome == "correct":
        changes = data.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise field_error("changes", "changes_required", "更正时请填写需要更正的内容。")
        new = supersede_record(session, actor, record.id, changes, f"异议核实更正：{text}")
        objection.new_record_id = new.id
        _close(objection, ObjectionStatus.CORRECTED, text)
        if data.get("lift_list_entries"):
            remedy = _lift_entries(session, actor, objection, record.id)
    else:  # revoke
        change_status(session, actor, record, RecordStatus.REVOKED, f"异议核实撤销：{text}")
        _close(objection, ObjectionStatus.REVOKED, text)
        remedy = _lift_entries(session, actor, objection, record.id)
    extra = clean_text(data.get("remedy"), "remedy", "消除不良影响的措施", False)
    if remedy or extra:
        objection.remedy = "；".join([*remedy, *([extra] if extra else [])])
    session.flush()
    audit(session, actor, "objection.decide", "objection", objection.id, outcome=outcome, record_id=record.id,
          new_record_id=objection.new_record_id, lifted=len(remedy))
    return Next(DONE)

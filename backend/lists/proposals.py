"""Confirming a 严重失信 / 禁入 proposal (名单认定确认): the queue kind ``list_proposal``'s handler and
its ``describe`` hook.

A department's proposal (:func:`backend.lists.services.add_list_entry` by a member of staff) waits on
the credit office's queue. The credit office confirms it — the entry takes effect, the firm's legal
representative gets the linked entry (seed 四(五)), the subject is rescored — or refuses it with a
reason (不予列入; the proposal never took effect). Four eyes: whoever proposed it may not confirm it,
even when they work in the credit office (403 ``proposer_cannot_confirm``).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.crypto import mask_name
from backend.common.text import clean_text
from backend.lists.models import LIST_STATUS_LABELS, LIST_TYPE_LABELS, ListEntry, ListEntryStatus, ListType
from backend.lists.services import ensure_not_listed, put_in_force
from backend.platform.db import affected_rows, utcnow
from backend.platform.errors import Conflict, Forbidden
from backend.queues.kinds import DONE, ItemDescription, Next
from backend.records.queries import describe_departments, describe_subjects
from backend.staff.models import StaffUser
from backend.subjects.models import Firm, Person

NOTE_MAX = 1000


def _proposal(session: Session, item) -> ListEntry:
    entry = session.get(ListEntry, item.ref_id)
    if entry is None:  # a foreign key in spirit: the item was opened for this row
        raise Conflict("list_proposal_missing", "没有找到该名单认定提议。")
    return entry


def apply_queue_decision(session: Session, actor: Actor, item, outcome: str, reason: str | None, data: dict) -> Next:
    """Queue handler of kind ``list_proposal``: ``confirm`` (确认列入) or ``reject`` (不予列入, reason
    required). The status changes in one conditional UPDATE (``status = 'proposed'``), so a proposal
    is decided once."""
    entry = _proposal(session, item)
    note = clean_text(reason, "reason", "办理意见", outcome == "reject", NOTE_MAX)
    if outcome == "confirm":
        if entry.proposed_by_id is not None and entry.proposed_by_id == actor.id:
            raise Forbidden("proposer_cannot_confirm",
                            "提议人不能确认自己提出的名单认定，请由信用办其他工作人员确认（双人审核）。")
        if entry.expires_on is not None and entry.expires_on < china_today():
            raise Conflict("list_proposal_period_over", "该提议的届满日期已过，不能再列入，请作“不予列入”并写明原因。")
        ensure_not_listed(session, entry.subject_id, entry.list_type, besides=entry.id)
    status = ListEntryStatus.ACTIVE if outcome == "confirm" else ListEntryStatus.REJECTED
    done = affected_rows(
        session,
        update(ListEntry).where(ListEntry.id == entry.id, ListEntry.status == ListEntryStatus.PROPOSED)
        .values(status=status, decided_by_id=actor.id if actor.is_staff else None, decided_at=utcnow(),
                decision_note=note)
        .execution_options(synchronize_session=False),
    )
    if not done:
        session.refresh(entry)
        raise Conflict("list_proposal_decided", f"该提议已是“{LIST_STATUS_LABELS[entry.status]}”，请刷新后查看。")
    session.refresh(entry)
    audit(session, actor, "list.confirm" if status == ListEntryStatus.ACTIVE else "list.reject", "list_entry",
          entry.id, list_type=entry.list_type.value, subject_id=entry.subject_id, department_id=entry.department_id,
          proposed_by_id=entry.proposed_by_id)
    if status == ListEntryStatus.ACTIVE:
        put_in_force(session, actor, entry)
    return Next(DONE)


def describe_item(session: Session, actor: Actor, item) -> ItemDescription:
    """What the credit office reads before deciding: the proposal, who proposed it, and who else it
    will reach (a firm's legal representative for 严重失信). Persons masked."""
    entry = _proposal(session, item)
    subject = describe_subjects(session, [entry.subject_id]).get(entry.subject_id, {})
    dept = describe_departments(session, [entry.department_id]).get(entry.department_id, {})
    proposer = session.get(StaffUser, entry.proposed_by_id) if entry.proposed_by_id else None
    facts = [
        ("名单", LIST_TYPE_LABELS[entry.list_type]),
        ("状态", LIST_STATUS_LABELS[entry.status]),
        ("主体", f"{subject.get('name', '')}（{subject.get('code', '')}）"),
        ("提议部门", dept.get("name", "")),
        ("提议人", proposer.display_name if proposer else "系统"),
        ("认定文书号", entry.decision_no or ""),
        ("认定依据", entry.legal_basis or ""),
        ("列入事由", entry.reason),
        ("列入日期", entry.listed_on.isoformat()),
        ("届满日期", entry.expires_on.isoformat() if entry.expires_on else "长期（至移出）"),
    ]
    if entry.domain:
        facts.append(("禁入领域", entry.domain))
    if entry.list_type == ListType.SERIOUS:
        rep = session.execute(select(Person.name, Firm.legal_rep_title).join(Firm, Firm.legal_rep_id == Person.id)
                              .where(Firm.id == entry.subject_id)).first()
        if rep is not None:
            facts.append(("随之列入", f"{rep.legal_rep_title or '法定代表人'} {mask_name(rep.name)}"))
    if entry.decision_note:
        facts.append(("信用办意见", entry.decision_note))
    if entry.status == ListEntryStatus.PROPOSED and entry.proposed_by_id == actor.id:
        facts.append(("双人审核", "您是提议人，不能确认本提议"))
    return ItemDescription(facts=tuple(facts), record_ids=(entry.record_id,) if entry.record_id else ())

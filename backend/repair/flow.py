"""The staff side of a repair application: the decision of its queue item (kind ``repair``).

One step (deadline: :mod:`backend.queues.deadlines`, derived from the rule set's handling time): the
department that provided the records decides

- ``repair`` (准予修复): every record of the application becomes 已修复 through the records service
  (leaves public display, stops counting; ``subject_changed`` drops the card and rescores after
  commit), and the active list entries resting on those records are lifted through the lists service;
- ``refuse`` (不予修复) with a reason, and ``retry_from`` — the day the applicant is told they may
  apply again (default: the day of the decision, i.e. as soon as what was missing is put right).
  It is advice shown to the applicant, not a bar: filing (``backend.repair.services._check_eligible``)
  does not read it, and a new application is accepted at once (no dated rule says how long a
  refusal bars one; see notes/attacker.md).

The applicant sees the outcome on ``GET /miniapp/v1/repairs/{id}`` and by 查询码.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today, chinese_date
from backend.common.text import field_error
from backend.lists.models import LIST_TYPE_LABELS, ListEntry, ListEntryStatus
from backend.lists.services import remove_list_entry
from backend.platform.errors import Conflict
from backend.queues.kinds import DONE, ItemDescription, Next
from backend.queues.models import QueueItem
from backend.records.models import RECORD_KIND_LABELS, CreditRecord, RecordStatus
from backend.records.queries import describe_subjects
from backend.records.services import change_status
from backend.repair.models import METHOD_LABELS, Method, RepairApplication, RepairRecord, RepairStatus
from backend.repair.services import close_application
from backend.staff.services import scoped_department_id
from backend.uploads.models import Upload


def _lift_entries(session: Session, actor: Actor, app: RepairApplication, record_id: int) -> list[str]:
    """Lift the active list entries resting on a repaired record; returns what was lifted."""
    entries = session.execute(select(ListEntry).where(
        ListEntry.record_id == record_id, ListEntry.status == ListEntryStatus.ACTIVE,
        ListEntry.linked_entry_id.is_(None))).scalars().all()  # a linked entry leaves with its firm's
    lines = []
    for entry in entries:
        # An entry may be the credit office's (a 严重失信 listing on a department's record): it
        # follows from this decision, so the system lifts it and the decision's audit row names it.
        allowed = scoped_department_id(actor)
        who = actor if allowed is None or allowed == entry.department_id else SYSTEM
        remove_list_entry(session, who, entry.id, f"信用修复（申请{app.id}）准予修复，依法移出")
        lines.append(f"已移出{LIST_TYPE_LABELS[entry.list_type]}（条目{entry.id}）")
    return lines


def _retry_from(value: Any, today: date) -> date:
    if value in (None, ""):
        return today
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise field_error("retry_from", "retry_from_invalid", "可重新申请的日期格式应为YYYY-MM-DD。") from None
    if day < today:
        raise field_error("retry_from", "retry_from_past", "可重新申请的日期不能早于今天。")
    return day


def apply_decision(session: Session, actor: Actor, item: QueueItem, outcome: str, reason: str | None,
                   data: dict[str, Any]) -> Next:
    """The queue handler of kind ``repair`` (see the module doc)."""
    app = session.execute(select(RepairApplication).where(RepairApplication.id == item.ref_id)
                          .with_for_update()).scalar_one()
    if not app.is_open:  # withdrawn or closed by expiry while the item was read
        raise Conflict("repair_closed", "该信用修复申请已撤回或已终结。")
    today = china_today()
    if outcome == "refuse":
        if not reason:
            raise field_error("reason", "reason_required", "请填写不予修复的理由，申请人会看到。")
        retry = _retry_from(data.get("retry_from"), today)
        app.retry_from = retry
        close_application(session, actor, app, RepairStatus.REFUSED, reason)
        audit(session, actor, "repair.decide", "repair_application", app.id, outcome=outcome,
              retry_from=retry.isoformat())
        return Next(DONE)
    links = list(session.execute(select(RepairRecord).where(RepairRecord.application_id == app.id,
                                                            RepairRecord.is_open.is_(True))
                                 .order_by(RepairRecord.record_id)).scalars())
    lifted: list[str] = []
    for link in links:
        record = session.get_one(CreditRecord, link.record_id)
        if not record.is_current or record.status != RecordStatus.PUBLICIZING:
            raise Conflict("repair_record_changed", f"“{record.title}”当前状态已变化（如正在异议处理），暂不能作出修复决定。")
        change_status(session, actor, record, RecordStatus.REPAIRED, f"信用修复（申请{app.id}）：{reason or '准予修复'}")
        lifted += _lift_entries(session, actor, app, record.id)
        link.outcome = "repaired"
    text = reason or "经审核，符合信用修复条件，准予修复。"
    if lifted:
        text = f"{text}（{'；'.join(lifted)}）"
    close_application(session, actor, app, RepairStatus.REPAIRED, text)
    audit(session, actor, "repair.decide", "repair_application", app.id, outcome=outcome,
          record_ids=[link.record_id for link in links], lifted=len(lifted))
    return Next(DONE)


def describe(session: Session, actor: Actor, item: QueueItem) -> ItemDescription:
    """What the reviewer reads: applicant (masked), methods, statement, commitment, records, proofs."""
    app = session.get_one(RepairApplication, item.ref_id)
    who = describe_subjects(session, {app.person_id, app.subject_id})
    subject, applicant = who.get(app.subject_id, {}), who.get(app.person_id, {})
    record_ids = tuple(session.execute(select(RepairRecord.record_id).where(RepairRecord.application_id == app.id)
                                       .order_by(RepairRecord.id)).scalars())
    kinds = {RECORD_KIND_LABELS[k] for k in session.execute(
        select(CreditRecord.kind).where(CreditRecord.id.in_(record_ids))).scalars()}
    uploads = tuple(session.execute(select(Upload.id).where(Upload.attached_to == f"repair:{app.id}")
                                    .order_by(Upload.id)).scalars())
    promise = (f"已签署信用修复型承诺（承诺编号{app.commitment_id}）" if app.commitment_id
               else f"已确认《信用修复承诺书》（{app.promise_version}）")
    facts = (
        ("信用主体", f"{subject.get('name', '')}（{subject.get('code', '')}）"),
        ("申请人", f"{applicant.get('name', '')}（{applicant.get('code', '')}）"),
        ("申请修复的信息", f"{len(record_ids)}条（{'、'.join(sorted(kinds))}）"),
        ("修复方式", "、".join(METHOD_LABELS[Method(m)] for m in app.methods)),
        ("整改及履行义务情况", app.statement),
        ("信用承诺", promise),
        ("证明材料", f"{len(uploads)}份"),
        ("答复申请人期限", chinese_date(app.answer_due) if app.answer_due else "—"),
    )
    return ItemDescription(facts=facts, record_ids=record_ids, upload_ids=uploads)

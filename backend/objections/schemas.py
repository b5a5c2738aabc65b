"""Schemas of the mini-program objection API and the applicant's view of an objection."""

from __future__ import annotations

from collections.abc import Iterable

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.fields import Text
from backend.objections.models import GROUND_LABELS, REFUSE_LABELS, STATUS_LABELS, Ground, Objection
from backend.objections.services import STATEMENT_MAX
from backend.queues.deadlines import rule_by_code
from backend.queues.kinds import get_kind
from backend.queues.models import QueueItem
from backend.queues.services import timeline
from backend.records.models import RECORD_KIND_LABELS, RECORD_STATUS_LABELS, CreditRecord
from backend.records.queries import describe_departments
from backend.uploads.models import Upload
from backend.uploads.services import MAX_PER_OBJECTION

ID = validate.Range(min=1, max=2**31 - 1, error="编号无效。")
UPLOAD_IDS = fields.List(fields.Integer(validate=ID), load_default=list,
                         validate=validate.Length(max=MAX_PER_OBJECTION, error=f"证明材料最多{MAX_PER_OBJECTION}个文件。"),
                         metadata={"description": "POST /miniapp/v1/uploads 返回的材料编号"})


class ObjectionIn(Schema):
    record_id = fields.Integer(required=True, validate=ID, metadata={"description": "异议的信用信息编号（信用名片上的记录 id）"})
    ground = fields.String(required=True, validate=validate.Length(max=30),
                           metadata={"description": "异议理由：" + "、".join(f"{g.value} {label}" for g, label in GROUND_LABELS.items())})
    statement = Text(required=True, max_len=STATEMENT_MAX, metadata={"description": "异议说明"})
    evidence_upload_ids = UPLOAD_IDS
    promise_acknowledged = fields.Boolean(required=True, metadata={"description": "已阅读并确认《异议申诉信用承诺书》"})


class SupplementIn(Schema):
    evidence_upload_ids = UPLOAD_IDS
    statement = Text(load_default=None, max_len=STATEMENT_MAX, metadata={"description": "补充说明"})


class ObjectionStepOut(Schema):
    at = fields.DateTime()
    label = fields.String()
    note = fields.String(allow_none=True)


class CurrentStepOut(Schema):
    state = fields.String()
    label = fields.String()
    deadline = fields.Date(allow_none=True, metadata={"description": "本环节办理期限（工作日按日历表计算）"})
    basis = fields.String(allow_none=True, metadata={"description": "期限依据"})


class ObjectionOut(Schema):
    id = fields.Integer()
    record = fields.Dict(metadata={"description": "异议的信用信息（标题、类别、文书号、提供单位、当前状态）"})
    ground = fields.String()
    ground_label = fields.String()
    statement = fields.String()
    status = fields.String()
    status_label = fields.String()
    refuse_reason = fields.String(allow_none=True)
    refuse_reason_label = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True, metadata={"description": "受理或核实的意见"})
    new_record_id = fields.Integer(allow_none=True, metadata={"description": "更正后的信用信息编号"})
    remedy = fields.String(allow_none=True, metadata={"description": "消除不良影响的措施"})
    evidence = fields.List(fields.Dict())
    current_step = fields.Nested(CurrentStepOut, allow_none=True, metadata={"description": "当前环节、办理期限及其依据"})
    steps = fields.List(fields.Nested(ObjectionStepOut), metadata={"description": "办理经过"})
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class PromiseOut(Schema):
    version = fields.String()
    text = fields.String()


_ACTION_LABELS = {"create": "提交异议申请", "supplement": "补充材料", "reroute": "转交其他单位办理",
                  "escalate": "已超过办理期限，信用办督办", "close": "申请已结束"}


def _steps(session: Session, item: QueueItem | None) -> list[dict]:
    """The applicant's view of the timeline: what happened, not who inside the office did it."""
    if item is None:
        return []
    spec = get_kind(item.kind)
    steps = []
    for ev in timeline(session, item.id):
        if ev.action == "decide":
            outcome = (ev.details or {}).get("outcome")
            steps.append({"at": ev.at, "label": spec.label_of(outcome), "note": ev.note})
        elif ev.action in _ACTION_LABELS:
            steps.append({"at": ev.at, "label": _ACTION_LABELS[ev.action], "note": None})
    return steps


def present_objections(session: Session, objections: Iterable[Objection], *, detail: bool = False) -> list[dict]:
    """The applicant's view of ``objections``: their records, departments and queue items read in one
    query each, whatever the number of objections (the list of "my objections"); ``detail`` adds the
    evidence files and the timeline of each."""
    objections = list(objections)
    if not objections:
        return []
    ids = [o.id for o in objections]
    records = {r.id: r for r in session.scalars(
        select(CreditRecord).where(CreditRecord.id.in_({o.record_id for o in objections})))}
    depts = describe_departments(session, (r.department_id for r in records.values()))
    items = {i.ref_id: i for i in session.scalars(
        select(QueueItem).where(QueueItem.kind == "objection", QueueItem.ref_id.in_(ids)))}
    states = get_kind("objection").states
    out = []
    for objection in objections:
        record, item = records[objection.record_id], items.get(objection.id)
        current = None
        if item is not None and item.is_open:
            rule = rule_by_code(item.deadline_rule)
            current = {"state": item.state, "label": states[item.state], "deadline": item.deadline,
                       "basis": rule.basis if rule else None}
        evidence = [{"id": i, "media_type": t, "size": s} for i, t, s in session.execute(
            select(Upload.id, Upload.media_type, Upload.size).where(Upload.attached_to == f"objection:{objection.id}")
            .order_by(Upload.id))] if detail else []
        out.append({
            "id": objection.id,
            "record": {"id": record.id, "title": record.title, "kind_label": RECORD_KIND_LABELS[record.kind],
                       "decision_no": record.decision_no,
                       "department": depts.get(record.department_id, {}).get("short_name"),
                       "status_label": RECORD_STATUS_LABELS[record.status]},
            "ground": objection.ground.value, "ground_label": GROUND_LABELS[Ground(objection.ground)],
            "statement": objection.statement, "status": objection.status.value,
            "status_label": STATUS_LABELS[objection.status],
            "refuse_reason": objection.refuse_reason.value if objection.refuse_reason else None,
            "refuse_reason_label": REFUSE_LABELS[objection.refuse_reason] if objection.refuse_reason else None,
            "decision_reason": objection.decision_reason, "new_record_id": objection.new_record_id,
            "remedy": objection.remedy, "evidence": evidence, "current_step": current,
            "steps": _steps(session, item) if detail else [], "created_at": objection.created_at,
            "decided_at": objection.decided_at,
        })
    return out


def present_objection(session: Session, objection: Objection, *, detail: bool = True) -> dict:
    """One objection as the applicant sees it (with evidence and timeline unless ``detail=False``)."""
    return present_objections(session, [objection], detail=detail)[0]

"""Schemas of the repair APIs (mini-program, public 查询码, staff) and the applicant's view."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.fields import Text
from backend.queues.deadlines import rule_by_code
from backend.queues.kinds import get_kind
from backend.queues.services import item_for, timeline
from backend.records.models import RECORD_KIND_LABELS, RECORD_STATUS_LABELS, CreditRecord
from backend.repair.models import METHOD_LABELS, STATUS_LABELS, Method, RepairApplication
from backend.repair.services import MAX_RECORDS, STATEMENT_MAX, record_ids_of
from backend.staff.models import Department
from backend.uploads.models import Upload
from backend.uploads.services import MAX_PER_OBJECTION

ID = validate.Range(min=1, max=2**31 - 1, error="编号无效。")


class RepairIn(Schema):
    record_ids = fields.List(fields.Integer(validate=ID), required=True,
                             validate=validate.Length(min=1, max=MAX_RECORDS, error=f"请选择1至{MAX_RECORDS}条信用信息。"),
                             metadata={"description": "申请修复的信用信息编号（同一主体、同一认定单位）"})
    methods = fields.List(fields.String(validate=validate.Length(max=20)), required=True,
                          metadata={"description": "修复方式：" + "、".join(f"{m.value} {label}" for m, label in METHOD_LABELS.items())})
    statement = Text(required=True, max_len=STATEMENT_MAX, metadata={"description": "整改及履行义务情况说明"})
    proof_upload_ids = fields.List(fields.Integer(validate=ID), load_default=list,
                                   validate=validate.Length(max=MAX_PER_OBJECTION, error=f"证明材料最多{MAX_PER_OBJECTION}个文件。"),
                                   metadata={"description": "履行义务的证明材料（POST /miniapp/v1/uploads 返回的编号）"})
    commitment_id = fields.Integer(load_default=None, validate=ID, metadata={"description": "已签署的信用修复型承诺编号"})
    commitment_item_id = fields.Integer(load_default=None, validate=ID,
                                        metadata={"description": "现在签署的信用修复型承诺事项编号（承诺事项清单）"})
    template_version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10**6),
                                      metadata={"description": "预览过的承诺书样式版本"})
    notice_version = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10**6),
                                    metadata={"description": "首次签署承诺时确认的诚信提示版本"})
    promise_acknowledged = fields.Boolean(load_default=None,
                                          metadata={"description": "无信用修复型承诺事项时：已阅读并确认《信用修复承诺书》"})


class GradeOut(Schema):
    score = fields.Integer()
    grade = fields.String()
    grade_label = fields.String()
    change = fields.Integer(metadata={"description": "修复后分值变化"})


class EligibilityOut(Schema):
    record_id = fields.Integer()
    route = fields.String(metadata={"description": "eligible 现在可申请 / not_yet 尚未到期 / court 由法院删除 / "
                                                   "market_regulation 通过国家企业信用信息公示系统 / on_hold 异议中 / not_needed 无需修复"})
    eligible = fields.Boolean()
    earliest_date = fields.Date(allow_none=True, metadata={"description": "最早可申请日期"})
    message = fields.String()
    apply_at = fields.String(allow_none=True, metadata={"description": "受理渠道"})
    rule = fields.Dict(metadata={"description": "适用的规则及依据（从旧兼从轻）"})
    conditions = fields.List(fields.String())
    materials = fields.List(fields.String())
    handling = fields.Dict(allow_none=True, metadata={"description": "办理时限（工作日）及依据"})
    methods = fields.List(fields.Dict())
    missing = fields.List(fields.Dict(), metadata={"description": "各项条件是否已满足、还缺什么"})
    open_application_id = fields.Integer(allow_none=True)
    current = fields.Dict(allow_none=True, metadata={"description": "当前分值与等级"})
    if_repaired = fields.Nested(GradeOut, allow_none=True, metadata={"description": "修复后的分值与等级（同一评价引擎计算）"})


class StepOut(Schema):
    at = fields.DateTime()
    label = fields.String()
    note = fields.String(allow_none=True)


class RepairOut(Schema):
    id = fields.Integer()
    query_code = fields.String(metadata={"description": "查询码：无需登录，凭码查询办理进度"})
    records = fields.List(fields.Dict())
    methods = fields.List(fields.Dict())
    statement = fields.String()
    commitment_id = fields.Integer(allow_none=True)
    promise_version = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    decision_reason = fields.String(allow_none=True)
    retry_from = fields.Date(allow_none=True, metadata={"description": "不予修复时：可重新申请的日期"})
    answer_due = fields.Date(allow_none=True, metadata={"description": "答复期限（工作日按日历表计算）"})
    current_step = fields.Dict(allow_none=True, metadata={"description": "当前环节、办理期限及其依据"})
    proofs = fields.List(fields.Dict())
    steps = fields.List(fields.Nested(StepOut))
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class PublicRepairOut(Schema):
    status = fields.String()
    status_label = fields.String()
    filed_on = fields.Date()
    answer_due = fields.Date(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    retry_from = fields.Date(allow_none=True)


class RepairPromiseOut(Schema):
    version = fields.String()
    text = fields.String()


_ACTION_LABELS = {"create": "提交信用修复申请", "reroute": "转交其他单位办理", "escalate": "已超过办理期限，信用办督办",
                  "close": "申请已结束"}


def _steps(session: Session, app: RepairApplication) -> list[dict]:
    item = item_for(session, "repair", app.id)
    if item is None:
        return []
    spec = get_kind("repair")
    steps = []
    for ev in timeline(session, item.id):
        if ev.action == "decide":
            steps.append({"at": ev.at, "label": spec.label_of((ev.details or {}).get("outcome")), "note": ev.note})
        elif ev.action in _ACTION_LABELS:
            steps.append({"at": ev.at, "label": _ACTION_LABELS[ev.action], "note": ev.note if ev.action == "close" else None})
    return steps


def present_repair(session: Session, app: RepairApplication, *, detail: bool = True) -> dict:
    ids = record_ids_of(session, app.id)
    rows = session.execute(select(CreditRecord, Department.short_name).join(Department, Department.id == CreditRecord.department_id)
                           .where(CreditRecord.id.in_(ids)).order_by(CreditRecord.id)).all()
    item = item_for(session, "repair", app.id)
    current = None
    if item is not None and item.is_open:
        rule = rule_by_code(item.deadline_rule)
        current = {"state": item.state, "label": get_kind("repair").states[item.state],
                   "deadline": item.deadline.isoformat() if item.deadline else None, "basis": rule.basis if rule else None}
    proofs = [{"id": i, "media_type": t, "size": s} for i, t, s in session.execute(
        select(Upload.id, Upload.media_type, Upload.size).where(Upload.attached_to == f"repair:{app.id}")
        .order_by(Upload.id))] if detail else []
    return {
        "id": app.id, "query_code": app.query_code,
        "records": [{"id": r.id, "title": r.title, "kind_label": RECORD_KIND_LABELS[r.kind], "decision_no": r.decision_no,
                     "department": dept, "status_label": RECORD_STATUS_LABELS[r.status]} for r, dept in rows],
        "methods": [{"code": m, "label": METHOD_LABELS[Method(m)]} for m in app.methods],
        "statement": app.statement, "commitment_id": app.commitment_id, "promise_version": app.promise_version,
        "status": app.status.value, "status_label": STATUS_LABELS[app.status], "decision_reason": app.decision_reason,
        "retry_from": app.retry_from, "answer_due": app.answer_due, "current_step": current, "proofs": proofs,
        "steps": _steps(session, app) if detail else [], "created_at": app.created_at, "decided_at": app.decided_at,
    }


def present_public(app: RepairApplication) -> dict:
    """Status and dates only: nothing personal, not even which records."""
    from backend.common.clock import CHINA_TZ

    return {"status": app.status.value, "status_label": STATUS_LABELS[app.status],
            "filed_on": app.created_at.astimezone(CHINA_TZ).date(), "answer_due": app.answer_due,
            "decided_on": app.decided_at.astimezone(CHINA_TZ).date() if app.decided_at else None,
            "retry_from": app.retry_from}

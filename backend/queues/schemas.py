"""Schemas of the staff queue API (``/staff/v1/queues``) and the presentation of items."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.clock import china_today
from backend.common.fields import PageOut, PageQuery, Text
from backend.queues.deadlines import rule_by_code
from backend.queues.kinds import KINDS, get_kind
from backend.queues.models import QueueItem
from backend.queues.reports import deadline_flags
from backend.queues.services import timeline
from backend.records.queries import describe_departments, describe_subjects
from backend.staff.models import StaffUser

ID = validate.Range(min=1, max=2**31 - 1, error="编号无效。")


class QueueItemQuery(PageQuery):
    kind = fields.String(load_default=None, validate=validate.OneOf(sorted(KINDS)),
                         metadata={"description": "事项类别：" + "、".join(f"{k} {v.label}" for k, v in KINDS.items())})
    state = Text(max_len=30, load_default=None, metadata={"description": "状态（如 pending、verifying、done），open 为全部未办结"})
    department_code = Text(max_len=32, load_default=None, metadata={"description": "所属部门代码（信用办可查任一部门）"})
    mine = fields.Boolean(load_default=False, metadata={"description": "只看我认领的"})
    overdue = fields.Boolean(load_default=None, metadata={"description": "true 只看已超期，false 只看未超期"})
    escalated = fields.Boolean(load_default=None, metadata={"description": "true 只看已提交信用办督办的"})
    subject_code = Text(max_len=40, load_default=None, metadata={"description": "主体的统一社会信用代码或身份证号"})


_OUTCOMES_DOC = "；".join(
    f"{k.label} " + "、".join(f"{'/'.join(choices)}（{k.states[state]}）" for state, choices in k.outcomes.items())
    for k in KINDS.values())


class QueueDecideIn(Schema):
    # Generated from KINDS, so a kind added there is described here without an edit.
    outcome = fields.String(required=True, validate=validate.Length(min=1, max=30),
                            metadata={"description": "决定：" + _OUTCOMES_DOC})
    reason = Text(max_len=1000, required=True, metadata={"description": "办理意见（申请人可见）"})
    # The codes belong to the kind (异议: backend.objections.models.RefuseReason), checked by its flow;
    # the engine's schema does not keep a copy of them.
    refuse_reason = Text(max_len=20, load_default=None,
                         metadata={"description": "不予受理的原因代码（异议受理阶段必填；填错时提示可选的代码）"})
    changes = fields.Dict(load_default=None, metadata={"description": "更正的内容（字段同信用信息更正）"})
    lift_list_entries = fields.Boolean(load_default=False, metadata={"description": "更正时一并移出依据该信息的名单"})
    remedy = Text(max_len=1000, load_default=None, metadata={"description": "其他消除不良影响的措施"})
    valid_until = fields.Date(load_default=None, metadata={"description": "授权有效期至（授权事项）"})
    # 信易贷 (kind loan, checked by backend.loans.flow): the approval's terms
    approved_amount_yuan = fields.Integer(load_default=None, strict=True,
                                          metadata={"description": "批准金额（元，不超过申请金额；信易贷）"})
    annual_rate = fields.Decimal(load_default=None, allow_nan=False,
                                 metadata={"description": "年利率（%，如 3.45；信易贷）"})
    term_months = fields.Integer(load_default=None, strict=True, metadata={"description": "贷款期限（月；信易贷）"})
    # 承诺履约核查 ``breached`` (违诺): the decision that creates the 违背信用承诺 record.
    decision_no = Text(max_len=100, load_default=None, metadata={"description": "违诺认定文书号（承诺履约核查 违诺时必填）"})
    decision_date = fields.Date(load_default=None, metadata={"description": "违诺认定日期（默认今天）"})
    severity = Text(max_len=20, load_default=None, metadata={"description": "违诺记录的严重程度（默认 general）"})
    retry_from = fields.Date(load_default=None, metadata={"description": "不予修复时：可重新申请的日期（信用修复，默认当天）"})


class QueueReassignIn(Schema):
    assignee_id = fields.Integer(load_default=None, validate=ID, metadata={"description": "接办人员（本部门审核人员）"})
    department_code = Text(max_len=32, load_default=None, metadata={"description": "改派到的部门（仅信用办）"})
    note = Text(max_len=1000, load_default=None)


class QueueNoteIn(Schema):
    note = Text(max_len=1000, load_default=None)


class QueueStatsQuery(Schema):
    date_from = fields.Date(load_default=None, metadata={"description": "统计起始日（含），默认30天前"})
    date_to = fields.Date(load_default=None, metadata={"description": "统计截止日（含），默认今天"})
    department_code = Text(max_len=32, load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(sorted(KINDS)))


class QueueRuleOut(Schema):
    code = fields.String()
    working_days = fields.Integer()
    basis = fields.String()


class QueueItemOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    ref_id = fields.Integer()
    subject = fields.Dict(allow_none=True, metadata={"description": "主体（自然人脱敏）"})
    department = fields.Dict()
    state = fields.String()
    state_label = fields.String()
    is_open = fields.Boolean()
    assignee = fields.Dict(allow_none=True)
    step_started_on = fields.Date()
    deadline = fields.Date(allow_none=True)
    deadline_rule = fields.Nested(QueueRuleOut, allow_none=True)
    overdue = fields.Boolean()
    due_soon = fields.Boolean(metadata={"description": "今天或下一个工作日到期"})
    escalated_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_late = fields.Boolean(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class QueueEventOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    details = fields.Dict()


class QueueItemDetailOut(QueueItemOut):
    allowed_outcomes = fields.Dict(metadata={"description": "当前步骤可作的决定"})
    timeline = fields.List(fields.Nested(QueueEventOut))


class QueueItemPageOut(PageOut):
    items = fields.List(fields.Nested(QueueItemOut))


class QueueStatsRow(Schema):
    department = fields.Dict()
    kind = fields.String()
    kind_label = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()
    decided_on_time = fields.Integer()
    decided_late = fields.Integer()


class QueueStatsOut(Schema):
    date_from = fields.Date()
    date_to = fields.Date()
    rows = fields.List(fields.Nested(QueueStatsRow))


def default_range(args: dict) -> tuple:
    date_to = args.get("date_to") or china_today()
    return args.get("date_from") or date_to - timedelta(days=30), date_to


def _rule(code: str | None) -> dict | None:
    rule = rule_by_code(code)
    return None if rule is None else {"code": rule.code, "working_days": rule.working_days, "basis": rule.basis}


def present_items(session: Session, items: list[QueueItem], *, detail: bool = False) -> list[dict]:
    """Items with their subject (persons masked), department, assignee and deadline flags (a few queries)."""
    subjects = describe_subjects(session, (i.subject_id for i in items if i.subject_id))
    depts = describe_departments(session, (i.department_id for i in items))
    staff_ids = {i.assignee_id for i in items if i.assignee_id}
    names = dict(session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids))).all()) \
        if staff_ids else {}
    flags = deadline_flags(session, items)
    out = []
    for i in items:
        spec = get_kind(i.kind)
        row = {
            "id": i.id, "kind": i.kind, "kind_label": spec.label, "ref_id": i.ref_id,
            "subject": subjects.get(i.subject_id), "department": depts.get(i.department_id, {}),
            "state": i.state, "state_label": spec.states.get(i.state, i.state), "is_open": i.is_open,
            "assignee": {"id": i.assignee_id, "display_name": names.get(i.assignee_id)} if i.assignee_id else None,
            "step_started_on": i.step_started_on, "deadline": i.deadline, "deadline_rule": _rule(i.deadline_rule),
            **flags[i.id], "escalated_at": i.escalated_at, "outcome": i.outcome,
            "outcome_label": spec.label_of(i.outcome), "closed_at": i.closed_at, "closed_late": i.closed_late,
            "created_at": i.created_at, "updated_at": i.updated_at,
        }
        if detail:
            row["allowed_outcomes"] = spec.outcomes.get(i.state, {}) if i.is_open else {}
            row["timeline"] = timeline(session, i.id)
        out.append(row)
    return out


def present_stats(session: Session, rows: list[dict]) -> list[dict]:
    depts = describe_departments(session, (r["department_id"] for r in rows))
    return [{**{k: v for k, v in r.items() if k != "department_id"}, "department": depts.get(r["department_id"], {}),
             "kind_label": get_kind(r["kind"]).label} for r in rows]

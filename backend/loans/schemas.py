"""Schemas of 信易贷 (mini-program and staff) and 信易批 (staff)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.cards.schemas import CardSchema
from backend.common.fields import PageOut, PageQuery, Text
from backend.loans.models import LoanStatus
from backend.records.schemas import DepartmentOut


class LoanIn(Schema):
    perk_code = Text(max_len=40, required=True, metadata={"description": "信易贷产品（权益代码，如 XYD-JSYH-1）"})
    firm = Text(max_len=40, required=True, metadata={"description": "申请企业的统一社会信用代码（我代表或经办的企业）"})
    # Bounds are dated data (backend.loans.rules), checked by the service with a plain message;
    # the schema only keeps absurd values out.
    amount_yuan = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**12),
                                 metadata={"description": "申请金额（元）"})
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1200),
                                 metadata={"description": "贷款期限（月）"})
    purpose = Text(max_len=2000, required=True, metadata={"description": "贷款用途"})


class FirmOut(Schema):
    uscc = fields.String()
    name = fields.String()


class LoanOut(Schema):
    id = fields.Integer()
    perk_code = fields.String()
    product = fields.String()
    bank = fields.Nested(DepartmentOut)
    firm = fields.Nested(FirmOut)
    amount_yuan = fields.Integer()
    term_months = fields.Integer()
    purpose = fields.String()
    status = fields.String(metadata={"description": "pending 银行审批中 / approved 已批准 / refused 未获批准 / withdrawn 已撤回"})
    status_label = fields.String()
    submitted_at = fields.DateTime()
    authorised_until = fields.DateTime(metadata={"description": "授权银行查询信用名片的截止时间（作出决定或撤回即终止）"})
    authorisation_ended_at = fields.DateTime(allow_none=True)
    card_authorised = fields.Boolean(metadata={"description": "银行此刻是否仍可查询信用名片"})
    approved_amount_yuan = fields.Integer(allow_none=True)
    annual_rate = fields.String(allow_none=True, metadata={"description": "批准的年利率（%）"})
    approved_term_months = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class LoanListOut(Schema):
    items = fields.List(fields.Nested(LoanOut))


class StaffLoanOut(LoanOut):
    grade = fields.String(metadata={"description": "申请时的公共信用综合评价等级"})
    score = fields.Integer()
    queue_item_id = fields.Integer(allow_none=True, metadata={"description": "审批待办（/staff/v1/queues/items/{id}/decide）"})
    deadline = fields.Date(allow_none=True)


class StaffLoanQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in LoanStatus]))


class StaffLoanPageOut(PageOut):
    items = fields.List(fields.Nested(StaffLoanOut))


class AuthorisationOut(Schema):
    loan_id = fields.Integer()
    until = fields.DateTime()


class LoanCardOut(CardSchema):
    authorisation = fields.Nested(AuthorisationOut)


class LoanStatsQuery(Schema):
    date_from = fields.Date(load_default=None, metadata={"description": "起始日（含），默认本年1月1日"})
    date_to = fields.Date(load_default=None, metadata={"description": "截止日（含），默认今天"})


class LoanStatsRow(Schema):
    bank = fields.Nested(DepartmentOut)
    month = fields.String(metadata={"description": "月份（北京时间，YYYY-MM）"})
    applications = fields.Integer(metadata={"description": "当月提交的申请"})
    approvals = fields.Integer(metadata={"description": "当月批准的申请"})
    refusals = fields.Integer(metadata={"description": "当月不予批准的申请"})
    withdrawn = fields.Integer(metadata={"description": "当月提交、后来撤回的申请"})
    approved_amount_yuan = fields.Integer(metadata={"description": "当月批准金额合计（元）"})


class LoanStatsOut(Schema):
    date_from = fields.Date()
    date_to = fields.Date()
    rows = fields.List(fields.Nested(LoanStatsRow))


class ApprovalIn(Schema):
    firm = Text(max_len=40, required=True, metadata={"description": "申请企业的统一社会信用代码"})
    matter = Text(max_len=200, required=True, metadata={"description": "申请事项（如 食品经营许可）"})
    reference_no = Text(max_len=60, load_default=None, metadata={"description": "审批系统的受理编号"})
    received_on = fields.Date(load_default=None, metadata={"description": "受理日期，默认今天"})
    department_code = Text(max_len=32, load_default=None, metadata={"description": "受理部门（仅信用办代登记时填写）"})
    perk_code = Text(max_len=40, load_default=None, metadata={"description": "信易批权益代码（本单位有多项时）"})


class ApprovalOut(Schema):
    id = fields.Integer()
    department = fields.Nested(DepartmentOut)
    matter = fields.String()
    reference_no = fields.String(allow_none=True)
    received_on = fields.Date()
    firm = fields.Nested(FirmOut)
    fast_track = fields.Boolean(metadata={"description": "是否适用容缺受理 / 绿色通道"})
    marker = fields.String(allow_none=True, metadata={"description": "“容缺受理”或空"})
    basis = fields.String(metadata={"description": "适用或不适用的依据"})
    grade = fields.String()
    grade_label = fields.String()
    score = fields.Integer()
    intercept_check_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ApprovalQuery(PageQuery):
    fast_track = fields.Boolean(load_default=None)
    department_code = Text(max_len=32, load_default=None)


class ApprovalPageOut(PageOut):
    items = fields.List(fields.Nested(ApprovalOut))

"""Schemas of the perk catalogue and vouchers (信易+)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.common.fields import PageOut, PageQuery, Text
from backend.perks.models import PerkCategory
from backend.records.schemas import DepartmentOut

CATEGORIES = [c.value for c in PerkCategory]


class RuleIn(Schema):
    min_grade = fields.String(load_default=None, validate=validate.Length(max=20),
                              metadata={"description": "企业 A/B/C/D，个人 excellent_plus/excellent/good/fair/poor"})
    min_score = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1000))


class PerkIn(Schema):
    code = Text(max_len=40, required=True)
    name = Text(max_len=100, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    provider_code = Text(max_len=32, required=True, metadata={"description": "提供方（银行、部门、商户）代码"})
    subject_kinds = fields.List(fields.String(validate=validate.OneOf(["firm", "person"])), required=True)
    benefit = Text(required=True)
    valid_from = fields.Date(required=True)
    rule = fields.Nested(RuleIn, load_default=dict)
    domain = Text(max_len=40, load_default=None, metadata={"description": "该领域的禁入主体不能享受"})
    red_bonus = Text(load_default=None, metadata={"description": "红名单主体的额外优惠"})
    valid_until = fields.Date(load_default=None)
    quota = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10_000_000))
    voucher_hours = fields.Integer(load_default=72, validate=validate.Range(min=1, max=24 * 90))


class PerkPatch(Schema):
    rule = fields.Nested(RuleIn)
    benefit = Text()
    domain = Text(max_len=40, allow_none=True)
    red_bonus = Text(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    quota = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10_000_000))
    active = fields.Boolean()


class PerkQuery(PageQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))


class PerkOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    provider = fields.Nested(DepartmentOut)
    subject_kinds = fields.List(fields.String())
    domain = fields.String(allow_none=True)
    rule = fields.Dict()
    benefit = fields.String()
    red_bonus = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    quota = fields.Integer(allow_none=True)
    issued = fields.Integer()
    voucher = fields.Boolean()
    voucher_hours = fields.Integer()
    active = fields.Boolean()


class PerkPageOut(PageOut):
    items = fields.List(fields.Nested(PerkOut))


class ReasonOut(Schema):
    reason = fields.String()
    message = fields.String()


class PerkForMeOut(PerkOut):
    eligible = fields.Boolean()
    score = fields.Integer()
    grade = fields.String()
    grade_label = fields.String()
    reasons = fields.List(fields.Nested(ReasonOut))
    advice = fields.List(fields.String())
    red_bonus_applies = fields.Boolean()
    remaining = fields.Integer(allow_none=True)


class PerksForMeOut(Schema):
    items = fields.List(fields.Nested(PerkForMeOut))


class PerksQuery(Schema):
    firm = Text(max_len=40, load_default=None, metadata={"description": "我代表或经办的企业的统一社会信用代码"})


class ClaimIn(Schema):
    perk_code = Text(max_len=40, required=True)
    firm = Text(max_len=40, load_default=None)


class VoucherOut(Schema):
    id = fields.Integer()
    perk_code = fields.String()
    perk_name = fields.String()
    benefit = fields.String()
    merchant = fields.String()
    status = fields.String()
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    redeemed_at = fields.DateTime(allow_none=True)
    code = fields.String(allow_none=True, metadata={"description": "券码（二维码内容），已核销或过期后不再给出"})
    qr_png = fields.String(allow_none=True, metadata={"description": "二维码 PNG（base64）"})


class VoucherListOut(Schema):
    items = fields.List(fields.Nested(VoucherOut))


class RedeemIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RedeemedOut(Schema):
    id = fields.Integer()
    perk = fields.String()
    benefit = fields.String()
    holder = fields.String(metadata={"description": "持券人（姓名已脱敏）"})
    status = fields.String()
    redeemed_at = fields.DateTime()

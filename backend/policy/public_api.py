"""``GET /public/v1/policy``: the rules in force, with their basis and effective dates (no login)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from backend.common.clock import china_today
from backend.policy.services import policy_document

blp = Blueprint("public_policy", __name__, url_prefix="/public/v1/policy",
                description="现行规则：公示期限、信用修复条件与材料、办理时限、评价等级，均附依据与施行日期")


class PolicySchema(Schema):
    class Meta:
        unknown = "include"

    as_of = fields.Date()
    publicity = fields.List(fields.Dict(), metadata={"description": "现行公示期限规则（按严重程度，月）"})
    repair = fields.List(fields.Dict(), metadata={"description": "信用修复的条件、材料与受理渠道"})
    handling_times = fields.List(fields.Dict(), metadata={"description": "修复申请的办理时限（工作日）"})
    grades = fields.List(fields.Dict(), metadata={"description": "公共信用综合评价等级与个人诚信分分段"})
    exception_publication = fields.Dict()
    straddling_records = fields.Dict(metadata={"description": "跨越新旧规定的记录：从旧兼从轻"})
    publication_deadline = fields.Dict()
    working_days = fields.Dict()


@blp.route("", methods=["GET"])
@blp.response(200, PolicySchema)
def get_policy():
    """现行规则一览（由系统实际使用的规则数据生成）"""
    return policy_document(china_today())

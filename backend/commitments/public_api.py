"""Public commitments (``/public/v1/commitments``): the published list and letter verification."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.commitments import public
from backend.commitments.models import PUBLIC_TYPES
from backend.common.fields import PageOut, PageQuery, Text
from backend.http.extensions import get_session

blp = Blueprint("public_commitments", __name__, url_prefix="/public/v1/commitments",
                description="信用承诺公示与承诺书核验")


class PublicQuery(PageQuery):
    q = Text(max_len=100, load_default=None, metadata={"description": "企业名称（部分）或统一社会信用代码"})
    commitment_type = fields.String(data_key="type", validate=validate.OneOf(sorted(t.value for t in PUBLIC_TYPES)))
    department_code = Text(max_len=32, data_key="department")
    signed_from = fields.Date()
    signed_to = fields.Date()


class PublicItem(Schema):
    id = fields.Integer()
    type = fields.String()
    type_label = fields.String()
    matter = fields.String()
    subject = fields.Dict(metadata={"description": "企业：名称和代码；个人：姓名脱敏，不含证件号"})
    department = fields.String(allow_none=True)
    signed_on = fields.Date()
    valid_until = fields.Date(allow_none=True)
    status = fields.String()
    status_label = fields.String()


class PublicPage(PageOut):
    items = fields.List(fields.Nested(PublicItem))


class VerifyOut(PublicItem):
    genuine = fields.Boolean()
    verdict = fields.String(metadata={"description": "genuine 真实 / altered 已被改动"})
    verdict_label = fields.String()
    content_hash = fields.String()
    template_version = fields.Integer()
    approval_no = fields.String(allow_none=True)


@blp.route("")
@blp.arguments(PublicQuery, location="query")
@blp.response(200, PublicPage)
def search(args):
    """公示的信用承诺（主动公示型、行业自律型、信用修复型），按签署日期倒序"""
    session = get_session()
    page = public.search_public(session, **args)
    return {"items": public.present_public(session, page.items), "total": page.total, "page": page.page,
            "per_page": page.per_page}


@blp.route("/verify/<string:code>")
@blp.response(200, VerifyOut)
@blp.alt_response(404, description="没有这份承诺书（reason: letter_unknown）")
def verify(code: str):
    """核验承诺书：是否真实、未被改动，及其公开信息和履约状态（不含证件号）"""
    return public.verify_letter(get_session(), code)

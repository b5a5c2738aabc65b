"""Staff API of the commitment catalogue (``/staff/v1/commitment-items``) and of the integrity
notice (``/staff/v1/integrity-notices``): list, save, import an XLSX sheet, publish a notice."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.commitments import catalogue, catalogue_import
from backend.commitments.models import CommitmentType, SubjectKindCode
from backend.commitments.signing import NOTICE_ROLES, current_notice, publish_notice
from backend.common.fields import PageOut, PageQuery, Text
from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.platform.errors import ValidationFailed

blp = Blueprint("staff_commitment_items", __name__, url_prefix="/staff/v1",
                description="信用承诺事项清单与诚信提示（工作台）")
SECURITY = [{"bearer": []}]
WRITE_ROLES = catalogue.MANAGE_ROLES
READ_ROLES = catalogue.READ_ROLES
TYPES = [t.value for t in CommitmentType]


class ItemIn(Schema):
    code = Text(max_len=40, required=True, metadata={"description": "事项编码（本部门内唯一）"})
    name = Text(max_len=200, required=True, metadata={"description": "事项名称"})
    commitment_type = fields.String(data_key="type", required=True, validate=validate.OneOf(TYPES))
    subject_kinds = fields.List(fields.String(validate=validate.OneOf([k.value for k in SubjectKindCode])),
                                required=True, metadata={"description": "person / firm / sole_trader"})
    refuse_listed = fields.Boolean(load_default=True, metadata={"description": "拒绝严重失信、禁入主体"})
    term_months = fields.Integer(load_default=None, allow_none=True, metadata={"description": "承诺期限（月）"})
    template = Text(required=True, metadata={"description": "承诺书样式，占位符如 {主体名称}"})
    agency_uscc = Text(max_len=40, load_default=None, allow_none=True)
    active = fields.Boolean(load_default=True)
    department_code = Text(max_len=32, load_default=None, metadata={"description": "信用办代部门维护时填写"})


class ItemQuery(PageQuery):
    commitment_type = fields.String(data_key="type", validate=validate.OneOf(TYPES))
    department_code = Text(max_len=32, data_key="department")


class ItemOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    type = fields.String()
    type_label = fields.String()
    subject_kinds = fields.List(fields.String())
    subject_kind_labels = fields.List(fields.String())
    refuse_listed = fields.Boolean()
    term_months = fields.Integer(allow_none=True)
    agency_uscc = fields.String(allow_none=True)
    template_version = fields.Integer()
    template = fields.String()
    active = fields.Boolean()
    department = fields.Dict()
    outcome = fields.String(metadata={"description": "保存结果：created / updated / unchanged"})


class ItemPageOut(PageOut):
    items = fields.List(fields.Nested(ItemOut))


class ImportOut(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    errors = fields.List(fields.Dict(), metadata={"description": "被退回的行：row 行号、reason、message"})


class NoticeIn(Schema):
    title = Text(max_len=100, required=True)
    body = Text(max_len=3000, required=True)


class NoticeOut(Schema):
    version = fields.Integer()
    title = fields.String()
    body = fields.String()


@blp.route("/commitment-items")
class Items(MethodView):
    @staff_required(READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(ItemQuery, location="query")
    @blp.response(200, ItemPageOut)
    def get(self, args):
        """信用承诺事项清单（部门审核员仅本部门）"""
        session = get_session()
        page = catalogue.search_items(session, current_actor(), **args)
        return {"items": catalogue.describe_items(session, page.items), "total": page.total, "page": page.page,
                "per_page": page.per_page}

    @staff_required(WRITE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(ItemIn)
    @blp.response(200, ItemOut)
    def post(self, data):
        """新增或修改承诺事项（按部门和事项编码；承诺书样式变化时生成新版本）"""
        session = get_session()
        saved = catalogue.save_item(session, current_actor(), **data)
        return catalogue.describe_items(session, [saved.item], saved.outcome)[0]


@blp.route("/commitment-items/<int(max=2147483647):item_id>")
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, ItemOut)
def get_item(item_id: int):
    """查看一个承诺事项"""
    session = get_session()
    return catalogue.describe_items(session, [catalogue.view_item(session, current_actor(), item_id)])[0]


@blp.route("/commitment-items/import", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY, requestBody={"content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, "department_code": {"type": "string"}}}},
    "application/json": {"schema": {
        "type": "object", "required": ["rows"],
        "properties": {"rows": {"type": "array", "items": {"type": "object"}}, "department_code": {"type": "string"}}}},
}})
@blp.response(200, ImportOut)
def import_items():
    """导入承诺事项清单：Excel（.xlsx，表头 部门代码、事项编码、事项名称、承诺类型、适用主体、拒绝失信主体、
    承诺期限（月）、承诺书样式、实施机关统一社会信用代码）或 JSON {rows:[…]}；错误行逐行说明原因，其余照常导入"""
    session, actor = get_session(), current_actor()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("file_required", "请选择要上传的 .xlsx 文件。", errors={"file": ["请选择文件。"]})
        return catalogue_import.import_catalogue(session, actor, upload.read(),
                                                 department_code=request.form.get("department_code") or None)
    payload = request.get_json(silent=True)
    dept = payload.get("department_code") if isinstance(payload, dict) else None
    return catalogue_import.import_rows(session, actor, catalogue_import.json_rows(payload),
                                        department_code=dept if isinstance(dept, str) and dept else None)


@blp.route("/integrity-notices")
class Notices(MethodView):
    @staff_required(READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.response(200, NoticeOut)
    def get(self):
        """现行诚信提示（首次签署信用承诺前须阅读确认）"""
        version, title, body = current_notice(get_session())
        return {"version": version, "title": title, "body": body}

    @staff_required(NOTICE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(NoticeIn)
    @blp.response(201, NoticeOut)
    def post(self, data):
        """发布新版诚信提示（旧版本保留，确认记录注明版本）"""
        notice = publish_notice(get_session(), current_actor(), **data)
        return {"version": notice.version, "title": notice.title, "body": notice.body}

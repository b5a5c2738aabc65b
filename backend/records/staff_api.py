"""Staff API for credit records (``/staff/v1/records``): submit, batch import, search, correct.

Department reviewers (部门审核员) submit and correct their own department's records; the credit
office (信用办管理员) may act for any department; auditors (审计员) read. Everyone else: 403.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.platform.errors import ValidationFailed
from backend.records import ingest, queries, services
from backend.records.schemas import (
    BatchIn,
    BatchOut,
    PublicationIn,
    RecordDetailOut,
    RecordIn,
    RecordOut,
    RecordPageOut,
    RecordQuery,
    SupersedeIn,
    present_batch,
    present_detail,
    present_records,
)
from backend.staff.models import Role

blp = Blueprint("staff_records", __name__, url_prefix="/staff/v1/records", description="信用信息报送、查询与更正（工作台）")

WRITE_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER)
READ_ROLES = (*WRITE_ROLES, Role.AUDITOR)
SECURITY = [{"bearer": []}]


@blp.route("")
class Records(MethodView):
    @staff_required(READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(RecordQuery, location="query")
    @blp.response(200, RecordPageOut)
    def get(self, args):
        """查询信用信息（部门审核员仅本部门）"""
        session = get_session()
        page = queries.search_records(session, current_actor(), **args)
        return page.with_items(present_records(session, page.items))

    @staff_required(WRITE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(RecordIn)
    @blp.response(201, RecordOut)
    def post(self, data):
        """报送一条信用信息"""
        session = get_session()
        record = services.submit_record(session, current_actor(), data)
        return present_records(session, [record])[0]


@blp.route("/batch", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(
    security=SECURITY,
    requestBody={
        "content": {
            "application/json": {"schema": BatchIn},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}, "department_code": {"type": "string"}},
                "required": ["file"],
            }},
        }
    },
)
@blp.response(200, BatchOut)
def submit_batch():
    """批量报送：JSON {rows:[…]} 或 CSV 文件（表头可用中文：主体代码、信息类别、严重程度、决定文书号、决定日期、标题 …）"""
    max_rows = current_app.config["BATCH_MAX_ROWS"]
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("file_required", "请选择要上传的 CSV 文件。", errors={"file": ["请选择文件。"]})
        rows = ingest.read_csv(upload.read(ingest.MAX_CSV_BYTES + 1), max_rows)
        department_code, source = request.form.get("department_code"), "csv"
    else:
        payload = request.get_json(silent=True)
        if isinstance(payload, dict) and isinstance(payload.get("rows"), list) and len(payload["rows"]) > max_rows:
            raise ingest.batch_too_large(max_rows)
        try:
            data = BatchIn().load(payload if isinstance(payload, dict) else {})
        except ValidationError as err:
            raise ValidationFailed("validation_failed", "提交的信息有误，请检查后重试。", errors=err.messages) from None
        rows, department_code, source = data["rows"], data["department_code"], "api"
    batch = ingest.submit_batch(get_session(), current_actor(), rows, department_code=department_code,
                                source=source, max_rows=max_rows)
    return present_batch(batch)


@blp.route("/batches/<int:batch_id>", methods=["GET"])
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, BatchOut)
def get_batch(batch_id: int):
    """一次报送的结果（含被退回的行及原因）"""
    return present_batch(services.get_batch(get_session(), current_actor(), batch_id))


@blp.route("/<int:record_id>", methods=["GET"])
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, RecordDetailOut)
def get_record(record_id: int):
    """一条信用信息，含全部版本和状态变更记录"""
    session = get_session()
    record = services.get_record(session, record_id)
    services.ensure_department_access(current_actor(), record)
    history = services.record_history(session, record_id)
    events = services.record_events(session, [r.id for r in history])
    return present_detail(session, record, history, events)


@blp.route("/<int:record_id>/supersede", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(SupersedeIn)
@blp.response(201, RecordOut)
def supersede(data, record_id: int):
    """更正：生成新版本，原记录标为“已更正”"""
    session = get_session()
    record = services.supersede_record(session, current_actor(), record_id, data["changes"], data["reason"])
    return present_records(session, [record])[0]


@blp.route("/<int:record_id>/publication", methods=["PUT"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(PublicationIn)
@blp.response(200, RecordOut)
def publish_by_exception(data, record_id: int):
    """例外公示：部门依据规定公示一条轻微失信信息（须写明依据，最长公示3个月）"""
    session = get_session()
    record = services.publish_record_by_exception(session, current_actor(), record_id, data["basis"])
    return present_records(session, [record])[0]

"""Staff API: read an objection and its evidence (``/staff/v1/objections``); decisions are taken on
its queue item (``POST /staff/v1/queues/items/{id}/decide``)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.http.files import upload_response
from backend.objections.review import staff_evidence, staff_objection
from backend.objections.schemas import ObjectionOut, present_objection
from backend.queues.services import READ_ROLES, item_for
from backend.records.queries import describe_subjects

blp = Blueprint("staff_objections", __name__, url_prefix="/staff/v1/objections", description="工作台：异议申请材料")
SECURITY = [{"bearer": []}]
OBJECTION = "/<int(max=2147483647):objection_id>"


class StaffObjectionOut(ObjectionOut):
    queue_item_id = fields.Integer()
    applicant = fields.Dict(metadata={"description": "申请人（脱敏）"})
    subject = fields.Dict(metadata={"description": "信用主体（自然人脱敏）"})


@blp.route(OBJECTION)
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, StaffObjectionOut)
def get_objection(objection_id: int):
    """异议申请：理由、说明、证明材料清单、办理经过"""
    session = get_session()
    objection = staff_objection(session, current_actor(), objection_id)
    who = describe_subjects(session, {objection.person_id, objection.subject_id})
    return {**present_objection(session, objection), "queue_item_id": item_for(session, "objection", objection.id).id,
            "applicant": who.get(objection.person_id, {}), "subject": who.get(objection.subject_id, {})}


@blp.route(f"{OBJECTION}/evidence/<int(max=2147483647):upload_id>")
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY, responses={"200": {"description": "文件内容（PDF、JPG 或 PNG）"}})
def get_evidence(objection_id: int, upload_id: int):
    """下载一份证明材料（查看记入审计日志）"""
    return upload_response(staff_evidence(get_session(), current_actor(), objection_id, upload_id), "evidence")

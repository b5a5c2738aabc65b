"""Staff API: read a repair application and its proof files (``/staff/v1/repairs``); the decision is
taken on its queue item (``POST /staff/v1/queues/items/{id}/decide``, outcome repair / refuse)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.http.files import upload_response
from backend.queues.services import READ_ROLES, item_for
from backend.records.queries import describe_subjects
from backend.repair.review import staff_proof, staff_repair
from backend.repair.schemas import RepairOut, present_repair

blp = Blueprint("staff_repairs", __name__, url_prefix="/staff/v1/repairs", description="工作台：信用修复申请材料")
SECURITY = [{"bearer": []}]
REPAIR = "/<int(max=2147483647):application_id>"


class StaffRepairOut(RepairOut):
    queue_item_id = fields.Integer()
    applicant = fields.Dict(metadata={"description": "申请人（脱敏）"})
    subject = fields.Dict(metadata={"description": "信用主体（自然人脱敏）"})


@blp.route(REPAIR)
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, StaffRepairOut)
def get_repair(application_id: int):
    """信用修复申请：修复方式、情况说明、承诺、证明材料清单、办理经过"""
    session = get_session()
    app = staff_repair(session, current_actor(), application_id)
    who = describe_subjects(session, {app.person_id, app.subject_id})
    out = present_repair(session, app)
    out.pop("query_code")  # the applicant's key to the public lookup: staff do not need it
    return {**out, "queue_item_id": item_for(session, "repair", app.id).id,
            "applicant": who.get(app.person_id, {}), "subject": who.get(app.subject_id, {})}


@blp.route(f"{REPAIR}/proofs/<int(max=2147483647):upload_id>")
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY, responses={"200": {"description": "文件内容（PDF、JPG 或 PNG）"}})
def get_proof(application_id: int, upload_id: int):
    """下载一份证明材料（查看记入审计日志）"""
    return upload_response(staff_proof(get_session(), current_actor(), application_id, upload_id), "proof")

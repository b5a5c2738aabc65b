"""Staff: the firm agency review queue (授权经办审核, ``/staff/v1/agencies``), credit office only."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.common.crypto import mask_id_number, mask_name
from backend.common.fields import PageOut, PageQuery
from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.staff.models import Role
from backend.subjects import agency as svc
from backend.subjects.models import AgencyStatus

blp = Blueprint("staff_agencies", __name__, url_prefix="/staff/v1/agencies",
                description="工作台：企业授权经办审核（信用办管理员）")
SECURITY = [{"bearer": []}]
ROLES = [Role.CREDIT_ADMIN.value]


class QueueQuerySchema(PageQuery):
    status = fields.Str(load_default=AgencyStatus.PENDING.value,
                        validate=validate.OneOf([s.value for s in AgencyStatus] + ["all"]),
                        metadata={"description": "pending（默认）/ approved / rejected / revoked / all"})


class DecisionSchema(Schema):
    approve = fields.Bool(required=True, metadata={"description": "true 同意授权，false 不予授权"})
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=svc.NOTE_MAX),
                      metadata={"description": "审核意见（不予授权时必填，申请人可见）"})
    valid_until = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "授权有效期至（默认一年）"})


class StaffAgencySchema(Schema):
    id = fields.Int()
    uscc = fields.Function(lambda a: a.firm.uscc)
    firm_name = fields.Function(lambda a: a.firm.name)
    applicant_name = fields.Function(lambda a: mask_name(a.person.name), metadata={"description": "申请人（脱敏）"})
    applicant_id_number = fields.Function(lambda a: mask_id_number(a.person.id_number))
    account_id = fields.Int()
    status = fields.Function(svc.status_value)
    status_label = fields.Function(svc.status_label)
    role_title = fields.Str()
    evidence_note = fields.Str(allow_none=True, metadata={"description": "申请说明"})
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by_id = fields.Int(allow_none=True)
    decision_note = fields.Str(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class StaffAgencyPage(PageOut):
    items = fields.List(fields.Nested(StaffAgencySchema))


@blp.route("")
class AgencyQueue(MethodView):
    @staff_required(roles=ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, StaffAgencyPage)
    def get(self, args):
        """授权申请队列（按申请时间先后，最早的在前）。"""
        status = None if args["status"] == "all" else AgencyStatus(args["status"])
        return svc.list_agencies(get_session(), status=status, page=args["page"], per_page=args["per_page"])


@blp.route("/<int:agency_id>/decision")
class AgencyDecision(MethodView):
    @staff_required(roles=ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(DecisionSchema)
    @blp.response(200, StaffAgencySchema)
    @blp.alt_response(404, description="没有该申请（reason: agency_not_found）")
    @blp.alt_response(409, description="已处理或已撤回（reason: agency_already_decided）")
    @blp.alt_response(422, description="decision_note_required / valid_until_invalid")
    def post(self, args, agency_id: int):
        """审核授权申请：同意（可设有效期，默认一年）或不予授权（须写明原因）。"""
        return svc.decide_agency(get_session(), current_actor(), agency_id, approve=args["approve"],
                                 note=args.get("note"), valid_until=args.get("valid_until"))

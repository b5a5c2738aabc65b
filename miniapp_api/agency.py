"""Mini-program: my firm agencies (授权经办, ``/miniapp/v1/me/agencies``): apply, list, withdraw."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.subjects import agency as svc

blp = Blueprint("miniapp_agencies", __name__, url_prefix="/miniapp/v1/me/agencies",
                description="小程序：企业授权经办（代企业办理）")
SECURITY = [{"bearer": []}]

class MyAgencyRequestSchema(Schema):
    uscc = fields.Str(required=True, validate=validate.Length(max=64), metadata={"description": "企业统一社会信用代码"})
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=svc.NOTE_MAX),
                      metadata={"description": "说明：您在企业的职务、授权依据等"})


class MyAgencySchema(Schema):
    id = fields.Int()
    uscc = fields.Function(lambda a: a.firm.uscc)
    firm_name = fields.Function(lambda a: a.firm.name)
    status = fields.Function(svc.status_value)
    status_label = fields.Function(svc.status_label)
    role_title = fields.Str()
    note = fields.Str(attribute="evidence_note", allow_none=True)
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.Str(allow_none=True, metadata={"description": "审核意见"})
    valid_until = fields.Date(allow_none=True, metadata={"description": "授权有效期至"})


@blp.route("")
class MyAgencies(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, MyAgencySchema(many=True))
    def get(self):
        """我的授权申请（最新的在前）。"""
        return svc.list_own_agencies(get_session(), current_actor())

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(MyAgencyRequestSchema)
    @blp.response(201, MyAgencySchema)
    @blp.alt_response(403, description="未实名（reason: identity_required）")
    @blp.alt_response(409, description="already_legal_rep / agency_pending / agency_exists")
    def post(self, args):
        """申请成为企业的授权经办人（需先实名，信用办审核）。"""
        return svc.request_agency(get_session(), current_actor(), uscc=args["uscc"], note=args.get("note"))


@blp.route("/<int:agency_id>")
class MyAgency(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.response(200, MyAgencySchema)
    @blp.alt_response(404, description="不是本人的申请或不存在（reason: agency_not_found）")
    @blp.alt_response(409, description="已结束（reason: agency_closed）")
    def delete(self, agency_id: int):
        """撤回待审核的申请，或放弃已获得的授权。"""
        return svc.withdraw_agency(get_session(), current_actor(), agency_id)

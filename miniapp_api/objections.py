"""Mini-program: 异议申诉 (``/miniapp/v1/objections``): file, follow, complete materials."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.objections import services as svc
from backend.objections.schemas import (
    ObjectionIn,
    ObjectionOut,
    PromiseOut,
    SupplementIn,
    present_objection,
    present_objections,
)

blp = Blueprint("miniapp_objections", __name__, url_prefix="/miniapp/v1/objections", description="小程序：异议申诉")
SECURITY = [{"bearer": []}]
OBJECTION = "/<int(max=2147483647):objection_id>"


@blp.route("")
class Objections(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, ObjectionOut(many=True))
    def get(self):
        """我的异议申请（最新的在前）。"""
        session = get_session()
        return present_objections(session, svc.list_own_objections(session, current_actor()))

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(ObjectionIn)
    @blp.response(201, ObjectionOut)
    @blp.alt_response(403, description="不是本人（或可代办企业）的信息，或信息不存在（record_not_accessible）")
    @blp.alt_response(409, description="已有正在处理的异议（objection_open）/ record_not_objectable")
    def post(self, data):
        """对本人或企业的一条信用信息提出异议（信用办2个工作日内受理）。"""
        session = get_session()
        return present_objection(session, svc.file_objection(session, current_actor(), **data))


@blp.route("/promise")
@blp.response(200, PromiseOut)
def promise():
    """《异议申诉信用承诺书》全文（提交前请申请人阅读确认）。"""
    return {"version": svc.PROMISE_VERSION, "text": svc.PROMISE_TEXT}


@blp.route(OBJECTION)
class ObjectionView(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, ObjectionOut)
    @blp.alt_response(404, description="objection_not_found")
    def get(self, objection_id: int):
        """异议申请的进度、每个环节和结果。"""
        session = get_session()
        return present_objection(session, svc.get_own_objection(session, current_actor(), objection_id))


@blp.route(f"{OBJECTION}/supplement")
class Supplement(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(SupplementIn)
    @blp.response(200, ObjectionOut)
    @blp.alt_response(409, description="objection_not_incomplete")
    def post(self, data, objection_id: int):
        """补正材料（因材料不全未受理时），信用办重新计算2个工作日的受理期限。"""
        session = get_session()
        return present_objection(session, svc.complete_objection(session, current_actor(), objection_id, **data))

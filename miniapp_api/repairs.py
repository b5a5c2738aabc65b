"""Mini-program: 信用修复 — eligibility of a record (with what repair would change), apply, follow, withdraw."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.repair import services as svc
from backend.repair.schemas import EligibilityOut, RepairIn, RepairOut, RepairPromiseOut, present_repair

blp = Blueprint("miniapp_repairs", __name__, url_prefix="/miniapp/v1", description="小程序：信用修复")
SECURITY = [{"bearer": []}]
REPAIR = "/repairs/<int(max=2147483647):application_id>"


@blp.route("/records/<int(max=2147483647):record_id>/repair-eligibility")
@account_required
@blp.doc(security=SECURITY)
@blp.response(200, EligibilityOut)
@blp.alt_response(403, description="不是本人（或可代办企业）的信息，或信息不存在（record_not_accessible）")
def eligibility(record_id: int):
    """这条信息能否修复、何时可以、到哪里申请、依据哪条规定、还缺什么，以及修复后的分值与等级。"""
    return svc.eligibility(get_session(), current_actor(), record_id)


@blp.route("/repairs")
class Repairs(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, RepairOut(many=True))
    def get(self):
        """我的信用修复申请（最新的在前）。"""
        session = get_session()
        return [present_repair(session, a, detail=False) for a in svc.list_own_repairs(session, current_actor())]

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(RepairIn)
    @blp.response(201, RepairOut)
    @blp.alt_response(403, description="record_not_accessible")
    @blp.alt_response(409, description="已有正在办理的修复申请（repair_open）/ record_objected")
    @blp.alt_response(422, description="repair_not_yet（附最早日期）/ repair_not_here（附受理渠道）/ 材料、承诺缺失")
    def post(self, data):
        """申请信用修复，返回查询码；答复期限见返回的 answer_due（时限随现行规定，见 /public/v1/policy 的 handling_times）。"""
        session = get_session()
        return present_repair(session, svc.file_repair(session, current_actor(), **data))


@blp.route("/repairs/promise")
@blp.response(200, RepairPromiseOut)
def promise():
    """《信用修复承诺书》全文（无信用修复型承诺事项时，申请人阅读确认）。"""
    return {"version": svc.PROMISE_VERSION, "text": svc.PROMISE_TEXT}


@blp.route(REPAIR)
class RepairView(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, RepairOut)
    @blp.alt_response(404, description="repair_not_found")
    def get(self, application_id: int):
        """信用修复申请的进度、办理期限和结果。"""
        session = get_session()
        return present_repair(session, svc.get_own_repair(session, current_actor(), application_id))


@blp.route(f"{REPAIR}/withdraw")
class Withdraw(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.response(200, RepairOut)
    @blp.alt_response(409, description="repair_closed")
    def post(self, application_id: int):
        """撤回尚在办理中的信用修复申请。"""
        session = get_session()
        return present_repair(session, svc.withdraw_repair(session, current_actor(), application_id))

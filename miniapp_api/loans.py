"""Mini-program: 信易贷 (``/miniapp/v1/loans``): apply for a firm I act for, follow, withdraw."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.loans import services as svc
from backend.loans.schemas import LoanIn, LoanListOut, LoanOut

blp = Blueprint("miniapp_loans", __name__, url_prefix="/miniapp/v1/loans", description="小程序：信易贷")
SECURITY = [{"bearer": []}]
LOAN = "/<int(max=2147483647):loan_id>"


@blp.route("")
class Loans(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, LoanListOut)
    def get(self):
        """我代表或经办的企业的信易贷申请（最新的在前）：状态和审批结果"""
        session = get_session()
        return {"items": svc.present_loans(session, svc.list_own_loans(session, current_actor()), staff=False)}

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(LoanIn)
    @blp.response(201, LoanOut)
    @blp.alt_response(403, description="名单拦截（intercepted）、不符合准入条件、不是企业的法定代表人或经办人")
    @blp.alt_response(409, description="向该银行的申请仍在审批中（loan_open）")
    def post(self, data):
        """申请信易贷，并授权该银行在本次申请中、作出决定前查询企业信用名片（截止时间见返回的 authorised_until，期限按现行信易贷规则）"""
        session = get_session()
        loan = svc.apply_for_loan(session, current_actor(), perk_code=data["perk_code"], firm_uscc=data["firm"],
                                  amount_yuan=data["amount_yuan"], term_months=data["term_months"],
                                  purpose=data["purpose"])
        return svc.present_loans(session, [loan], staff=False)[0]


@blp.route(LOAN)
class LoanView(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, LoanOut)
    @blp.alt_response(404, description="loan_not_found")
    def get(self, loan_id: int):
        """一项信易贷申请：状态、批准金额、利率、期限或不予批准的原因"""
        session = get_session()
        return svc.present_loans(session, [svc.get_own_loan(session, current_actor(), loan_id)], staff=False)[0]


@blp.route(f"{LOAN}/withdraw")
class Withdraw(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.response(200, LoanOut)
    @blp.alt_response(409, description="已作出决定，不能撤回（loan_not_pending）")
    def post(self, loan_id: int):
        """撤回审批中的申请：银行的查询授权随即终止"""
        session = get_session()
        return svc.present_loans(session, [svc.withdraw_loan(session, current_actor(), loan_id)], staff=False)[0]

"""Staff API of 信易贷 (``/staff/v1/loans``: a bank's officers their own bank's applications, the
authorised card; the credit office's figures) and 信易批 (``/staff/v1/approvals``). Decisions go
through the queue engine: ``POST /staff/v1/queues/items/{queue_item_id}/decide``."""

from __future__ import annotations

from datetime import date

from flask_smorest import Blueprint

from backend.common.clock import china_today
from backend.http.auth import current_actor, staff_required
from backend.http.card_responses import card_cache
from backend.http.extensions import get_session
from backend.loans import approvals, services
from backend.loans.schemas import (
    ApprovalIn,
    ApprovalOut,
    ApprovalPageOut,
    ApprovalQuery,
    LoanCardOut,
    LoanStatsOut,
    LoanStatsQuery,
    StaffLoanOut,
    StaffLoanPageOut,
    StaffLoanQuery,
)

blp = Blueprint("staff_loans", __name__, url_prefix="/staff/v1", description="工作台：信易贷申请与信易批")
SECURITY = [{"bearer": []}]
LOAN = "/loans/<int(max=2147483647):loan_id>"


@blp.route("/loans")
@staff_required(services.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(StaffLoanQuery, location="query")
@blp.response(200, StaffLoanPageOut)
def list_loans(args):
    """信易贷申请（合作银行仅本行）"""
    session = get_session()
    page = services.list_loans(session, current_actor(), **args)
    return {"items": services.present_loans(session, list(page.items), staff=True), "total": page.total,
            "page": page.page, "per_page": page.per_page}


@blp.route("/loans/stats")
@staff_required(services.STATS_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(LoanStatsQuery, location="query")
@blp.response(200, LoanStatsOut)
def loan_stats(args):
    """信易贷统计：按银行和月份的申请、批准、批准金额（合作银行仅本行）"""
    today = china_today()
    date_from = args.get("date_from") or date(today.year, 1, 1)
    date_to = args.get("date_to") or today
    rows = services.loan_stats(get_session(), current_actor(), date_from=date_from, date_to=date_to)
    return {"date_from": date_from, "date_to": date_to, "rows": rows}


@blp.route(LOAN)
@staff_required(services.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, StaffLoanOut)
def get_loan(loan_id: int):
    """一项信易贷申请（审批请到待办事项中作出决定）"""
    session = get_session()
    return services.present_loans(session, [services.get_loan(session, current_actor(), loan_id)], staff=True)[0]


@blp.route(f"{LOAN}/card")
@staff_required(services.BANK_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, LoanCardOut)
@blp.alt_response(403, description="企业未授权本行，或授权已结束（card_not_authorised，已记入审计）")
def loan_card(loan_id: int):
    """申请企业授权本行查询的信用名片（仅本次申请、授权期内；每次查询记入审计）"""
    return services.authorised_card(get_session(), current_actor(), loan_id, card_cache())


@blp.route("/approvals", methods=["POST"])
@staff_required(approvals.WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(ApprovalIn)
@blp.response(201, ApprovalOut)
def record_approval(data):
    """登记收到的审批申请：符合信易批条件的企业标记“容缺受理”并写明依据（名单比对后）"""
    session = get_session()
    row = approvals.record_approval(session, current_actor(), firm_uscc=data["firm"], matter=data["matter"],
                                    reference_no=data["reference_no"], department_code=data["department_code"],
                                    perk_code=data["perk_code"], received_on=data["received_on"])
    return approvals.present_approvals(session, [row])[0]


@blp.route("/approvals")
@staff_required(approvals.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(ApprovalQuery, location="query")
@blp.response(200, ApprovalPageOut)
def list_approvals(args):
    """审批申请（本部门）：容缺受理标记、依据和企业信用等级"""
    session = get_session()
    page = approvals.list_approvals(session, current_actor(), **args)
    return {"items": approvals.present_approvals(session, list(page.items)), "total": page.total,
            "page": page.page, "per_page": page.per_page}

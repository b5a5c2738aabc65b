"""The bank's side of a 信易贷 application: the decision of its queue item (kind ``loan``) and what
the item's detail page shows (``describe``).

``approve`` needs the approved amount (at most the amount asked), the annual rate and the term, each
within the dated bounds of :mod:`backend.loans.rules`; compare and intercept runs again at that moment
(``purpose=loan_decide``): a firm listed or banned since it applied cannot be approved (403
``intercepted``, logged; the bank refuses it instead). ``refuse`` needs the reason, which the firm
sees. Either way the bank's authorisation to read the firm's card ends with the decision.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import CHINA_TZ, china_today
from backend.common.text import field_error
from backend.intercept.services import check_subjects
from backend.loans.models import LOAN_STATUS_LABELS, LoanApplication, LoanStatus
from backend.loans.rules import rules_by_code
from backend.loans.services import bounded_int
from backend.perks.models import Perk
from backend.platform.db import commit_on_refusal, utcnow
from backend.platform.errors import Forbidden
from backend.queues.kinds import DONE, ItemDescription, Next
from backend.queues.models import QueueItem
from backend.staff.models import Role
from backend.subjects.models import Firm


def _rate_bp(data: dict[str, Any], low: int, high: int) -> int:
    raw = data.get("annual_rate")
    try:
        rate = Decimal(str(raw)) if raw is not None and not isinstance(raw, bool) else None
    except DecimalException:  # not a number at all
        rate = None
    span = f"{low / 100:.2f}至{high / 100:.2f}"
    # The bounds first, by comparison only (no arithmetic): quantize or multiply a huge value such as
    # 1E+30 and the decimal context raises (it was a 500). Within the bounds both are exact.
    if rate is None or not rate.is_finite() or not Decimal(low).scaleb(-2) <= rate <= Decimal(high).scaleb(-2) \
            or rate != rate.quantize(Decimal("0.01")):
        raise field_error("annual_rate", "annual_rate_invalid", f"请填写年利率（%），{span}之间，最多两位小数。")
    return int(rate * 100)


def apply_decision(session: Session, actor: Actor, item: QueueItem, outcome: str, reason: str | None,
                   data: dict[str, Any]) -> Next:
    """The queue handler of kind ``loan`` (see the module doc)."""
    loan = session.execute(select(LoanApplication).where(LoanApplication.id == item.ref_id)
                           .with_for_update()).scalar_one()
    # The decision is the authorised bank's alone: the engine lets the credit office decide (and
    # re-route) any kind, but it is no lender, and a bank the item was re-routed to was not authorised.
    if actor.role != Role.BANK_PARTNER or actor.department_id != loan.bank_id:
        raise Forbidden("loan_decision_bank_only", "信易贷申请只能由申请企业授权的银行审批。")
    rules = rules_by_code(loan.rules_code)
    if not reason:
        label = "审批意见" if outcome == "approve" else "不予批准的原因"
        raise field_error("reason", "reason_required", f"请填写{label}，申请企业会看到。")
    if outcome == "approve":
        amount = bounded_int(data.get("approved_amount_yuan"), "approved_amount_yuan", "批准金额（元）", 1, loan.amount_yuan, "元")
        rate = _rate_bp(data, rules.min_rate_bp, rules.max_rate_bp)
        term = bounded_int(data.get("term_months"), "term_months", "贷款期限（月）", 1, rules.max_term_months, "个月")
        firm = session.get(Firm, loan.firm_id)
        perk = session.get(Perk, loan.perk_id)
        assert firm is not None and perk is not None  # foreign keys
        check = check_subjects(session, actor, [firm.uscc], perk.domain, purpose="loan_decide", perk_id=perk.id)
        if check.hits:
            commit_on_refusal(session)  # keep the log row (and the officer's claim of the item)
            raise Forbidden("intercepted", check.hits[0].plain() + "在列期间不能批准信易贷，请作出不予批准的决定。")
        loan.status, loan.approved_amount_yuan, loan.rate_bp, loan.approved_term_months = (
            LoanStatus.APPROVED, amount, rate, term)
    else:  # refuse
        loan.status = LoanStatus.REFUSED
    now = utcnow()
    loan.decision_reason, loan.decided_at, loan.decided_on, loan.decided_by_id = reason, now, china_today(), actor.id
    loan.authorisation_ended_at = loan.authorisation_ended_at or now
    session.flush()
    audit(session, actor, "loan.decide", "loan_application", loan.id, outcome=outcome, bank_id=loan.bank_id,
          approved_amount_yuan=loan.approved_amount_yuan, rate_bp=loan.rate_bp, term_months=loan.approved_term_months)
    return Next(DONE)


def describe(session: Session, actor: Actor, item: QueueItem) -> ItemDescription:
    """The facts a loan officer reads on the item's page (a firm's name and code are not personal data)."""
    loan = session.get(LoanApplication, item.ref_id)
    if loan is None:
        return ItemDescription()
    firm = session.get(Firm, loan.firm_id)
    perk = session.get(Perk, loan.perk_id)
    facts = [
        ("申请企业", f"{firm.name if firm else ''}（{firm.uscc if firm else ''}）"),
        ("贷款产品", perk.name if perk else ""),
        ("申请金额", f"{loan.amount_yuan:,} 元"),
        ("申请期限", f"{loan.term_months} 个月"),
        ("贷款用途", loan.purpose),
        ("申请时信用评价", f"{loan.grade}级（{loan.score} 分）"),
        ("信用名片查询授权", f"至 {loan.authorised_until.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}（北京时间）或作出决定时止"),
        ("状态", LOAN_STATUS_LABELS[loan.status]),
    ]
    if loan.status == LoanStatus.APPROVED:
        facts.append(("批准", f"{loan.approved_amount_yuan:,} 元，年利率 {(loan.rate_bp or 0) / 100:.2f}%，"
                               f"{loan.approved_term_months} 个月"))
    return ItemDescription(facts=tuple(facts))

"""信易贷 applications: the firm applies and authorises one bank; the bank reads the card while the
authorisation lasts; the firm follows and may withdraw; the credit office counts (信易贷 reporting).

- Applying (:func:`apply_for_loan`): the firm's legal representative or an approved agent
  (:func:`backend.cards.access.require_firm_agent`, the firm card's rule) asks for one bank's 信易贷
  product. Compare and intercept runs at that moment (``purpose=loan_apply``: a listed or banned firm
  is refused with list, basis and period, and the attempt stays in the interception log), then the
  perk's eligibility (:func:`backend.perks.eligibility.assess`, the same evaluation as the card).
  The application becomes a queue item of kind ``loan`` routed to the bank's department, so the
  engine's department scope shows each bank only its own applications.
- The bank's authorisation: this application only, until ``authorised_until`` (the dated
  :mod:`backend.loans.rules`, ``authorisation_days``) or the decision / withdrawal, whichever first. Every read of
  the card is audited (``loan.card_view``), every refused read too (``loan.card_refused``, kept
  through the 403).
- The decision is the queue handler :func:`backend.loans.flow.apply_decision`.

No Flask here; functions flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cards.access import require_firm_agent
from backend.cards.cache import CardCache
from backend.cards.services import Audience, load_card, render_card
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.intercept.services import check_subjects
from backend.loans.models import LOAN_STATUS_LABELS, LoanApplication, LoanStatus
from backend.loans.rules import rules_on
from backend.perks.eligibility import assess
from backend.perks.models import PERK_CATEGORY_LABELS, Perk, PerkCategory
from backend.perks.services import perk_by_code
from backend.platform.db import commit_on_refusal, utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound
from backend.queues import services as queue
from backend.queues.models import QueueItem
from backend.records.queries import describe_departments
from backend.staff.models import Role
from backend.staff.services import department_scoped, require_role, scoped_department_id
from backend.subjects.agency import firms_for_person
from backend.subjects.models import Firm
from backend.subjects.services import get_firm, require_identity

BANK_ROLES = (Role.BANK_PARTNER,)
READ_ROLES = (Role.CREDIT_ADMIN, Role.AUDITOR, Role.BANK_PARTNER)
STATS_ROLES = (Role.CREDIT_ADMIN, Role.AUDITOR, Role.BANK_PARTNER)


def _not_found() -> NotFound:
    return NotFound("loan_not_found", "没有找到该贷款申请。")


def bounded_int(value: Any, field: str, label: str, low: int, high: int, unit: str) -> int:
    """An integer in [low, high], else 422 ``<field>_out_of_range`` saying the bounds."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise field_error(field, f"{field}_out_of_range", f"{label}应为{low}至{high}{unit}之间的整数。")
    return value


# --- the firm's side ----------------------------------------------------------------------------


def apply_for_loan(session: Session, actor: Actor, *, perk_code: str, firm_uscc: str | None, amount_yuan: Any,
                   term_months: Any, purpose: str | None, today: date | None = None) -> LoanApplication:
    """Apply for a bank's 信易贷 product for a firm I act for, authorising that bank to read the firm's
    card for this application only.

    Refused: not a loan product (422 ``perk_not_loan``), no firm (422 ``firm_required``), not the firm's
    legal representative or agent (403 ``not_firm_agent``), amount / term / purpose out of bounds
    (422 ``amount_yuan_out_of_range`` …), listed or banned (403 ``intercepted``, logged), not eligible
    (403 with the reason, e.g. ``grade_too_low``), an application to this bank still pending
    (409 ``loan_open``)."""
    today = today or china_today()
    rules = rules_on(today)
    require_identity(actor, "请先完成实名认证，再申请信易贷。")
    perk = perk_by_code(session, perk_code)
    if perk.category != PerkCategory.LOAN:
        raise field_error("perk_code", "perk_not_loan", f"{PERK_CATEGORY_LABELS[perk.category]}不是信易贷产品。")
    if not firm_uscc:
        raise field_error("firm", "firm_required", "请选择申请贷款的企业（统一社会信用代码）。")
    firm = get_firm(session, firm_uscc)
    require_firm_agent(session, actor, firm)
    amount = bounded_int(amount_yuan, "amount_yuan", "申请金额（元）", rules.min_amount_yuan, rules.max_amount_yuan, "元")
    term = bounded_int(term_months, "term_months", "贷款期限（月）", 1, rules.max_term_months, "个月")
    text = clean_text(purpose, "purpose", "贷款用途", True, rules.purpose_max)
    check = check_subjects(session, actor, [firm.uscc], perk.domain, purpose="loan_apply", perk_id=perk.id)
    if check.hits:
        commit_on_refusal(session)  # keep the interception log's row (nothing else has changed)
        raise Forbidden("intercepted", check.hits[0].plain() + "在列期间不能申请信易贷。")
    verdict = assess(session, perk, firm.id, "firm", today=today)
    if not verdict.eligible:
        first = verdict.first
        raise Forbidden(first.reason, first.message + (first.advice or ""))
    # Serialise applications of one firm: the second waits here, then finds the pending one.
    session.execute(select(Firm.id).where(Firm.id == firm.id).with_for_update())
    pending = session.execute(select(LoanApplication.id).where(
        LoanApplication.firm_id == firm.id, LoanApplication.bank_id == perk.provider_id,
        LoanApplication.status == LoanStatus.PENDING).limit(1)).first()
    if pending is not None:
        raise Conflict("loan_open", "该企业向这家银行的贷款申请仍在审批中，请等待结果或先撤回。")
    now = utcnow()
    loan = LoanApplication(
        perk_id=perk.id, bank_id=perk.provider_id, firm_id=firm.id, account_id=actor.id, amount_yuan=amount,
        term_months=term, purpose=text, rules_code=rules.code, grade=verdict.grade, score=verdict.score,
        status=LoanStatus.PENDING, submitted_at=now, submitted_on=today,
        authorised_until=now + timedelta(days=rules.authorisation_days),
    )
    session.add(loan)
    session.flush()
    queue.open_item(session, actor, kind="loan", ref_id=loan.id, subject_id=firm.id, department_id=perk.provider_id,
                    start=today)
    audit(session, actor, "loan.apply", "loan_application", loan.id, perk_id=perk.id, bank_id=perk.provider_id,
          firm_id=firm.id, amount_yuan=amount, term_months=term, check_id=check.check_id)
    audit(session, actor, "loan.authorise", "loan_application", loan.id, bank_id=perk.provider_id, firm_id=firm.id,
          until=loan.authorised_until.isoformat(), rules=rules.code)
    return loan


def _firm_ids_for(session: Session, actor: Actor) -> list[int]:
    person_id = require_identity(actor, "请先完成实名认证，再查看信易贷申请。")
    codes = [f["uscc"] for f in firms_for_person(session, person_id)]
    if not codes:
        return []
    return list(session.execute(select(Firm.id).where(Firm.uscc.in_(codes))).scalars())


def list_own_loans(session: Session, actor: Actor) -> list[LoanApplication]:
    """The applications of the firms I may act for now, newest first."""
    ids = _firm_ids_for(session, actor)
    if not ids:
        return []
    return list(session.execute(select(LoanApplication).where(LoanApplication.firm_id.in_(ids))
                                .order_by(LoanApplication.submitted_at.desc(), LoanApplication.id.desc())
                                .limit(100)).scalars())


def get_own_loan(session: Session, actor: Actor, loan_id: int) -> LoanApplication:
    """One application of a firm I act for; anyone else's is 404 like a missing id."""
    loan = session.get(LoanApplication, loan_id)
    if loan is None or loan.firm_id not in _firm_ids_for(session, actor):
        raise _not_found()
    return loan


def withdraw_loan(session: Session, actor: Actor, loan_id: int) -> LoanApplication:
    """Withdraw a pending application (撤回): the bank's authorisation ends at once and its queue item
    closes. Decided already: 409 ``loan_not_pending``."""
    loan = get_own_loan(session, actor, loan_id)
    item = queue.item_for(session, "loan", loan.id)
    # Lock in the order a bank's decision does (queue item, then application): a withdrawal racing a
    # decision waits for it and then finds it decided — never a deadlock (a 500 for one of the two).
    if item is not None:
        session.execute(select(QueueItem.id).where(QueueItem.id == item.id).with_for_update())
        session.refresh(item)
    session.execute(select(LoanApplication.id).where(LoanApplication.id == loan.id).with_for_update())
    session.refresh(loan)
    if loan.status != LoanStatus.PENDING:
        raise Conflict("loan_not_pending", f"该申请{LOAN_STATUS_LABELS[loan.status]}，不能撤回。")
    now = utcnow()
    loan.status, loan.authorisation_ended_at = LoanStatus.WITHDRAWN, now
    if item is not None:
        queue.close_item(session, actor, item, "withdrawn", "申请企业撤回")
    session.flush()
    audit(session, actor, "loan.withdraw", "loan_application", loan.id, bank_id=loan.bank_id)
    return loan


# --- the bank's side ----------------------------------------------------------------------------


def list_loans(session: Session, actor: Actor, *, status: str | None = None, page: int = 1,
               per_page: int = 20) -> Page[LoanApplication]:
    """Applications for staff: a bank's officers their own bank's only; the credit office and auditors all."""
    require_role(actor, READ_ROLES, "您的岗位不能查看信易贷申请。")
    stmt = department_scoped(session, actor, select(LoanApplication), LoanApplication.bank_id)
    if status:
        stmt = stmt.where(LoanApplication.status == LoanStatus(status))
    return paginate(session, stmt, LoanApplication.submitted_at.desc(), LoanApplication.id.desc(), page=page,
                    per_page=per_page)


def get_loan(session: Session, actor: Actor, loan_id: int) -> LoanApplication:
    """One application in the actor's scope (another bank's: 404 like a missing id)."""
    require_role(actor, READ_ROLES, "您的岗位不能查看信易贷申请。")
    loan = session.get(LoanApplication, loan_id)
    allowed = scoped_department_id(actor)
    if loan is None or (allowed is not None and allowed != loan.bank_id):
        raise _not_found()
    return loan


def card_authorised(loan: LoanApplication, now: datetime | None = None) -> bool:
    """Whether the firm's authorisation of the bank still holds: pending, not ended, not past its time."""
    now = now or utcnow()
    return loan.status == LoanStatus.PENDING and loan.authorisation_ended_at is None and now < loan.authorised_until


def authorised_card(session: Session, actor: Actor, loan_id: int, cards: CardCache | None = None) -> dict:
    """The firm's card as the bank may see it (the shared view: identity masked, records in effect),
    only for the bank the firm authorised and only while the authorisation lasts. Each view is
    audited; a refused one too (403 ``card_not_authorised``, the audit row kept through the refusal)."""
    require_role(actor, BANK_ROLES, "只有获得企业授权的合作银行可以查看企业的信用名片。")
    loan = session.get(LoanApplication, loan_id)
    if loan is None or loan.bank_id != actor.department_id or not card_authorised(loan):
        why = ("no_authorisation" if loan is None or loan.bank_id != actor.department_id
               else "authorisation_ended")
        audit(session, actor, "loan.card_refused", "loan_application", loan_id, why=why,
              firm_id=loan.firm_id if loan is not None and why != "no_authorisation" else None)
        commit_on_refusal(session)
        if why == "authorisation_ended":
            raise Forbidden("card_not_authorised", "该企业对本行的信用名片查询授权已结束（已作出审批决定、申请已撤回或授权已到期）。")
        raise Forbidden("card_not_authorised", "该企业未授权本行查询其信用名片。")
    card = render_card(load_card(session, loan.firm_id, cards), Audience.SHARED)
    audit(session, actor, "loan.card_view", "loan_application", loan.id, firm_id=loan.firm_id)
    card["authorisation"] = {"loan_id": loan.id, "until": loan.authorised_until}
    return card


def authorised_card_if_any(session: Session, actor: Actor, loan_id: int,
                           cards: CardCache | None = None) -> dict | None:
    """:func:`authorised_card` for a page that shows the card only when it may (the console's item
    page): the card (audited ``loan.card_view``) while this bank's authorisation lasts, else None —
    nothing read, so nothing to audit."""
    loan = session.get(LoanApplication, loan_id)
    if loan is None or loan.bank_id != actor.department_id or not card_authorised(loan):
        return None
    return authorised_card(session, actor, loan.id, cards)


# --- presenting -----------------------------------------------------------------------------


def _rate_text(bp: int | None) -> str | None:
    return None if bp is None else f"{bp / 100:.2f}"


def present_loans(session: Session, loans: list[LoanApplication], *, staff: bool) -> list[dict[str, Any]]:
    """What the firm (``staff=False``) or the bank sees; the firm never sees who decided."""
    perks = {p.id: p for p in session.execute(select(Perk).where(Perk.id.in_({x.perk_id for x in loans}))).scalars()}
    firms = {f.id: f for f in session.execute(select(Firm).where(Firm.id.in_({x.firm_id for x in loans}))).scalars()}
    banks = describe_departments(session, (x.bank_id for x in loans))
    items = {}
    if staff and loans:
        items = {i.ref_id: i for i in session.execute(select(QueueItem).where(
            QueueItem.kind == "loan", QueueItem.ref_id.in_([x.id for x in loans]))).scalars()}
    now = utcnow()
    out = []
    for x in loans:
        row: dict[str, Any] = {
            "id": x.id, "perk_code": perks[x.perk_id].code, "product": perks[x.perk_id].name,
            "bank": banks.get(x.bank_id), "firm": {"uscc": firms[x.firm_id].uscc, "name": firms[x.firm_id].name},
            "amount_yuan": x.amount_yuan, "term_months": x.term_months, "purpose": x.purpose,
            "status": x.status.value, "status_label": LOAN_STATUS_LABELS[x.status], "submitted_at": x.submitted_at,
            "authorised_until": x.authorised_until, "authorisation_ended_at": x.authorisation_ended_at,
            "card_authorised": card_authorised(x, now),
            "approved_amount_yuan": x.approved_amount_yuan, "annual_rate": _rate_text(x.rate_bp),
            "approved_term_months": x.approved_term_months, "decision_reason": x.decision_reason,
            "decided_at": x.decided_at,
        }
        if staff:
            item = items.get(x.id)
            row.update(grade=x.grade, score=x.score, queue_item_id=item.id if item else None,
                       deadline=item.deadline if item else None)
        out.append(row)
    return out


# --- 信易贷 reporting ---------------------------------------------------------------------------


def _month(value: date) -> str:
    return f"{value:%Y-%m}"


def loan_stats(session: Session, actor: Actor, *, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per bank and month (China time): applications submitted, and of the decisions taken in the month
    the approvals, refusals and the approved amount; withdrawals by the month they were submitted.
    A bank's officers see their own bank only."""
    require_role(actor, STATS_ROLES, "您的岗位不能查看信易贷统计。")
    if date_to < date_from:
        raise field_error("date_to", "date_range_invalid", "截止日期不能早于起始日期。")
    if (date_to - date_from).days > 3 * 366:
        raise field_error("date_from", "date_range_too_long", "统计区间不能超过三年。")
    base = department_scoped(session, actor, select(LoanApplication), LoanApplication.bank_id)
    rows: dict[tuple[int, str], dict[str, Any]] = defaultdict(
        lambda: {"applications": 0, "approvals": 0, "refusals": 0, "withdrawn": 0, "approved_amount_yuan": 0})
    submitted = base.where(LoanApplication.submitted_on >= date_from, LoanApplication.submitted_on <= date_to)
    for x in session.execute(submitted).scalars():
        row = rows[(x.bank_id, _month(x.submitted_on))]
        row["applications"] += 1
        row["withdrawn"] += x.status == LoanStatus.WITHDRAWN
    decided = base.where(LoanApplication.decided_on.is_not(None), LoanApplication.decided_on >= date_from,
                         LoanApplication.decided_on <= date_to)
    for x in session.execute(decided).scalars():
        assert x.decided_on is not None
        row = rows[(x.bank_id, _month(x.decided_on))]
        if x.status == LoanStatus.APPROVED:
            row["approvals"] += 1
            row["approved_amount_yuan"] += x.approved_amount_yuan or 0
        elif x.status == LoanStatus.REFUSED:
            row["refusals"] += 1
    banks = describe_departments(session, (bank for bank, _ in rows))
    return [{"bank": banks.get(bank), "month": month, **counts}
            for (bank, month), counts in sorted(rows.items(), key=lambda kv: (banks[kv[0][0]]["code"], kv[0][1]))]


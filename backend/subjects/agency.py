"""Firm agency (授权经办): a person acting for a firm they do not legally represent.

A person bound to an account (实名) asks to act for a firm; a credit-office administrator approves
or rejects it. Who may act for a firm — its legal representative (``Firm.legal_rep_id``) or a
person with an approved, unexpired agency — is answered by :func:`can_act_for_firm`, which every
firm-facing feature (the card, commitments, objections, repair, 信易贷) calls.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import CHINA_TZ, china_today
from backend.common.crypto import mask_id_number, mask_name
from backend.common.paging import Page, paginate
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.queues import services as queue
from backend.queues.kinds import DONE, ItemDescription, Next
from backend.subjects.models import Account, AgencyStatus, Firm, FirmAgency, Person
from backend.subjects.services import get_firm

DEFAULT_VALIDITY_DAYS = 365  # an approval without an end date given lasts one year
NOTE_MAX = 500
MAX_VALIDITY_DAYS = 5 * 366


today_cn = china_today

STATUS_LABELS = {
    AgencyStatus.PENDING: "待审核",
    AgencyStatus.APPROVED: "已授权",
    AgencyStatus.REJECTED: "未通过",
    AgencyStatus.REVOKED: "已撤销",
}


def status_value(agency: FirmAgency) -> str:
    """The agency's state as the APIs spell it (``pending`` …)."""
    return AgencyStatus(agency.status).value


def status_label(agency: FirmAgency) -> str:
    """The agency's state as a person reads it (待审核 …)."""
    return STATUS_LABELS[AgencyStatus(agency.status)]


def _active_agency_filter(today: date):
    return (FirmAgency.status == AgencyStatus.APPROVED) & or_(
        FirmAgency.valid_until.is_(None), FirmAgency.valid_until >= today
    )


def _person_id_of(session: Session, who: Account | Person | Actor | int | None) -> int | None:
    if isinstance(who, int) and not isinstance(who, bool):
        who = session.get(Account, who)
    if isinstance(who, Account):
        return None if who.disabled else who.person_id
    if isinstance(who, Person):
        return who.id
    if isinstance(who, Actor) and who.is_account:
        account = session.get(Account, who.id)
        return None if account is None or account.disabled else account.person_id
    return None


def can_act_for_firm(session: Session, who: Account | Person | Actor | int | None, firm_id: int) -> bool:
    """May ``who`` act for the firm: its legal representative, or an approved, unexpired agent?

    ``who`` is an account id (``int``, as in ``actor.id``), an :class:`Account`, a mini-program
    :class:`Actor`, or a :class:`Person`. An account acts as its bound person (实名); an account
    without 实名, or a disabled one, may act for no firm.
    """
    person_id = _person_id_of(session, who)
    if person_id is None or firm_id is None:
        return False
    if session.execute(select(Firm.id).where(Firm.id == firm_id, Firm.legal_rep_id == person_id)).first():
        return True
    return session.execute(
        select(FirmAgency.id).where(
            FirmAgency.firm_id == firm_id, FirmAgency.person_id == person_id, _active_agency_filter(today_cn())
        ).limit(1)
    ).first() is not None


def may_act_for_subject(session: Session, actor: Actor, subject_id: int) -> bool:
    """May the mini-program ``actor`` act for this subject: it is the actor's own person, or a firm the
    actor may act for (:func:`can_act_for_firm`). Used by every application a subject files
    (异议, 信用修复 …), so who may file, follow and complete one is decided in one place."""
    if actor.person_id is not None and actor.person_id == subject_id:
        return True
    return session.get(Firm, subject_id) is not None and can_act_for_firm(session, actor, subject_id)


def firms_for_person(session: Session, person_id: int) -> list[dict]:
    """Firms the person may act for, for ``me``: legal representative first, then agencies."""
    out: list[dict] = []
    seen: set[int] = set()
    for firm in session.execute(select(Firm).where(Firm.legal_rep_id == person_id).order_by(Firm.name)).scalars():
        seen.add(firm.id)
        out.append({"uscc": firm.uscc, "name": firm.name, "relation": "legal_rep",
                    "role_title": firm.legal_rep_title, "valid_until": None, "agency_id": None})
    rows = session.execute(
        select(FirmAgency, Firm)
        .join(Firm, Firm.id == FirmAgency.firm_id)
        .where(FirmAgency.person_id == person_id, _active_agency_filter(today_cn()))
        .order_by(Firm.name, FirmAgency.id)
    ).all()
    for agency, firm in rows:
        if firm.id in seen:
            continue
        seen.add(firm.id)
        out.append({"uscc": firm.uscc, "name": firm.name, "relation": "agent", "role_title": agency.role_title,
                    "valid_until": agency.valid_until, "agency_id": agency.id})
    return out


def _note(value: str | None, field: str = "note") -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > NOTE_MAX:
        raise ValidationFailed("note_too_long", f"说明不能超过{NOTE_MAX}个字。", errors={field: [f"不能超过{NOTE_MAX}个字。"]})
    return value


def _caller(session: Session, actor: Actor) -> Account:
    account = session.get(Account, actor.id) if actor.is_account else None
    if account is None or account.disabled:
        raise Forbidden("account_disabled", "该账号不可用，请联系客服。")
    if account.person_id is None:
        raise Forbidden("identity_required", "请先完成实名认证。")
    return account


def request_agency(session: Session, actor: Actor, *, uscc: str, note: str | None = None) -> FirmAgency:
    """Ask to act for the firm with this code (待审核 until staff decide)."""
    account = _caller(session, actor)
    note = _note(note)
    firm = get_firm(session, uscc)
    # Serialise requests for one firm so that two taps never make two pending requests.
    session.execute(select(Firm.id).where(Firm.id == firm.id).with_for_update())
    if firm.legal_rep_id == account.person_id:
        raise Conflict("already_legal_rep", "您是该企业的法定代表人，无需申请授权，可直接办理。")
    existing = session.execute(
        select(FirmAgency).where(
            FirmAgency.firm_id == firm.id, FirmAgency.person_id == account.person_id,
            or_(FirmAgency.status == AgencyStatus.PENDING, _active_agency_filter(today_cn())),
        ).limit(1)
    ).scalar()
    if existing is not None and existing.status == AgencyStatus.PENDING:
        raise Conflict("agency_pending", "您已提交过该企业的授权申请，正在审核中。")
    if existing is not None:
        raise Conflict("agency_exists", "您已获得该企业的经办授权，无需重复申请。")
    agency = FirmAgency(firm_id=firm.id, account_id=account.id, person_id=account.person_id,
                        status=AgencyStatus.PENDING, evidence_note=note, requested_at=utcnow())
    agency.firm = firm
    session.add(agency)
    session.flush()
    _open_queue_item(session, actor, agency)
    audit(session, actor, "agency.request", "firm_agency", agency.id, firm_id=firm.id)
    return agency


def _open_queue_item(session: Session, actor: Actor, agency: FirmAgency):
    """The review of an agency request is a queue item (kind ``agency``) of the credit office."""
    return queue.open_item(session, actor, kind="agency", ref_id=agency.id, subject_id=agency.firm_id,
                           department_id=queue.credit_office_id(session))


def list_own_agencies(session: Session, actor: Actor) -> list[FirmAgency]:
    """The caller's agency requests, newest first (any status)."""
    account = session.get(Account, actor.id) if actor.is_account else None
    if account is None or account.person_id is None:
        return []
    return list(session.execute(
        select(FirmAgency).where(FirmAgency.person_id == account.person_id)
        .options(selectinload(FirmAgency.firm))
        .order_by(FirmAgency.requested_at.desc(), FirmAgency.id.desc())
    ).scalars())


def withdraw_agency(session: Session, actor: Actor, agency_id: int) -> FirmAgency:
    """Withdraw one's own pending request, or give up an approved agency (已撤销)."""
    account = _caller(session, actor)
    agency = session.get(FirmAgency, agency_id)
    if agency is None or agency.person_id != account.person_id:
        raise NotFound("agency_not_found", "没有找到该授权申请。")
    previous = agency.status
    done = session.execute(
        update(FirmAgency)
        .where(FirmAgency.id == agency.id,
               FirmAgency.status.in_([AgencyStatus.PENDING, AgencyStatus.APPROVED]))
        .values(status=AgencyStatus.REVOKED, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise Conflict("agency_closed", "该授权申请已结束，无需撤销。")
    session.refresh(agency)
    if (item := queue.item_for(session, "agency", agency.id)) is not None:
        queue.close_item(session, actor, item, "withdrawn", "申请人撤回")
    audit(session, actor, "agency.withdraw", "firm_agency", agency.id, firm_id=agency.firm_id,
          previous_status=str(previous))
    return agency


# --- staff -----------------------------------------------------------------------------------


def list_agencies(
    session: Session, *, status: AgencyStatus | None = AgencyStatus.PENDING, page: int = 1, per_page: int = 20
) -> Page[FirmAgency]:
    """The review queue: agencies with ``status`` (all if None), oldest request first."""
    stmt = select(FirmAgency).options(selectinload(FirmAgency.firm), selectinload(FirmAgency.person))
    if status is not None:
        stmt = stmt.where(FirmAgency.status == status)
    return paginate(session, stmt, FirmAgency.requested_at, FirmAgency.id, page=page, per_page=per_page)


def decide_agency(
    session: Session,
    actor: Actor,
    agency_id: int,
    *,
    approve: bool,
    note: str | None = None,
    valid_until: date | None = None,
) -> FirmAgency:
    """Approve (已授权, until ``valid_until``, default one year) or reject (未通过, a note required).

    The decision is taken through the review-queue engine (kind ``agency``): claiming, the
    timeline, the deadline and the audit are the engine's; :func:`apply_queue_decision` changes the
    agency. A request from before the engine existed gets its queue item here."""
    if not actor.is_staff:
        raise Forbidden("role_forbidden", "您的岗位没有此项操作的权限。")
    note = _note(note)
    if not approve and not note:
        raise ValidationFailed("decision_note_required", "不予授权时请填写原因，申请人会看到。",
                               errors={"note": ["请填写不予授权的原因。"]})
    _valid_until(approve, valid_until)
    agency = session.get(FirmAgency, agency_id)
    if agency is None:
        raise NotFound("agency_not_found", "没有找到该授权申请。")
    if agency.status != AgencyStatus.PENDING:
        raise _already_decided()
    item = queue.item_for(session, "agency", agency.id) or _open_queue_item(session, SYSTEM, agency)
    queue.decide(session, actor, item.id, item=item, outcome="approve" if approve else "reject", reason=note,
                 data={"valid_until": valid_until})
    return agency


def _already_decided() -> Conflict:
    return Conflict("agency_already_decided", "该申请已处理或已被申请人撤回，请刷新后查看。")


def _valid_until(approve: bool, valid_until: date | None) -> date | None:
    if not approve:
        return None
    today = today_cn()
    valid_until = valid_until or today + timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < today or valid_until > today + timedelta(days=MAX_VALIDITY_DAYS):
        raise ValidationFailed("valid_until_invalid", "授权有效期应在今天到五年之内。",
                               errors={"valid_until": ["授权有效期应在今天到五年之内。"]})
    return valid_until


def apply_queue_decision(session: Session, actor: Actor, item, outcome: str, reason: str | None, data: dict):
    """Queue handler of kind ``agency`` (backend.queues.kinds): approve or reject the request."""
    approve = outcome == "approve"
    note = _note(reason)
    if not approve and not note:
        raise ValidationFailed("decision_note_required", "不予授权时请填写原因，申请人会看到。",
                               errors={"reason": ["请填写不予授权的原因。"]})
    valid_until = _valid_until(approve, data.get("valid_until"))
    status = AgencyStatus.APPROVED if approve else AgencyStatus.REJECTED
    # A conditional UPDATE: two reviewers deciding at once, only the first one counts.
    done = session.execute(
        update(FirmAgency)
        .where(FirmAgency.id == item.ref_id, FirmAgency.status == AgencyStatus.PENDING)
        .values(status=status, decided_at=utcnow(), decided_by_id=actor.id, decision_note=note,
                valid_until=valid_until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise _already_decided()
    agency = session.get(FirmAgency, item.ref_id)
    session.refresh(agency)
    audit(session, actor, "agency.decide", "firm_agency", agency.id, firm_id=agency.firm_id,
          decision=status.value, valid_until=valid_until)
    return Next(DONE)


def describe_queue_item(session: Session, actor: Actor, item) -> ItemDescription:
    """The ``describe`` hook of kind ``agency``: the firm, the applicant (masked), what they wrote,
    when they asked and — once decided — the authorisation's status and end date."""
    agency = session.get(FirmAgency, item.ref_id)
    if agency is None:
        return ItemDescription()
    requested = agency.requested_at
    if requested.tzinfo is None:  # SQLite hands back naive UTC
        requested = requested.replace(tzinfo=UTC)
    facts = [
        ("企业名称", agency.firm.name), ("统一社会信用代码", agency.firm.uscc),
        ("申请人", mask_name(agency.person.name)), ("申请人证件号", mask_id_number(agency.person.id_number)),
        ("职务", agency.role_title or "—"), ("申请说明", agency.evidence_note or "—"),
        ("申请日期", requested.astimezone(CHINA_TZ).date().isoformat()),
        ("授权状态", status_label(agency)),
    ]
    if agency.valid_until:
        facts.append(("授权有效期至", agency.valid_until.isoformat()))
    return ItemDescription(facts=tuple(facts))

"""信用修复 services for the applicant: eligibility (with what repair would change), filing, following,
withdrawal; the public 查询码 lookup; closing applications whose records reached 已到期.

Who may ask and file: the person the record is about, or for a firm's record its legal
representative or an approved agent (:func:`backend.subjects.agency.can_act_for_firm`, the firm
card's rule, as objections). Anyone else — and a record id that does not exist — gets the same 403
``record_not_accessible``. Whether a record can be repaired is decided in ONE place,
:func:`backend.repair.eligibility.repair_timing` (the card's hints use it too). What repair would
change is the evaluation engine run over the subject's own facts with the record (and the list
entries resting on it) as a repair leaves them: no second formula. The staff side is the queue
(kind ``repair``, :mod:`backend.repair.flow`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.commitments.models import Commitment, CommitmentItem, CommitmentStatus, CommitmentType
from backend.commitments.signing import sign_commitment, subject_kind
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today, chinese_date
from backend.common.text import clean_text, field_error
from backend.evaluation.engine import Result, evaluate
from backend.evaluation.facts import load_facts, value_of
from backend.evaluation.rules import rules_for
from backend.lists.models import ListEntry, ListEntryStatus
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.queues import services as queue
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord, RecordStatus
from backend.records.rules import repair_rule_on
from backend.repair.eligibility import COURT, ELIGIBLE, MARKET, NOT_YET, ON_HOLD, RepairTiming, repair_timing
from backend.repair.models import METHOD_LABELS, Method, RepairApplication, RepairRecord, RepairStatus
from backend.subjects.agency import may_act_for_subject
from backend.subjects.models import Firm, Person, Subject
from backend.subjects.services import require_identity
from backend.uploads.services import MAX_PER_OBJECTION, claim_uploads

STATEMENT_MAX = 2000
MAX_RECORDS = 20  # records in one application
# 查询码: 10 characters without 0/O, 1/I/L (31 symbols, about 49 bits); typed in any case, with or
# without spaces and hyphens.
QUERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_LENGTH = 10
# 《信用修复承诺书》 acknowledged where no 信用修复型 catalogue commitment exists for the subject.
PROMISE_VERSION = "repair-promise-2026-12"
PROMISE_TEXT = (
    "本人（本单位）郑重承诺：已纠正失信行为、履行相关法定义务，所提交的信用修复申请及证明材料真实、准确、完整；"
    "今后将依法诚信经营（守法诚信），如有虚假或再次发生同类失信行为，自愿接受撤销修复决定、"
    "记入违背信用承诺信息等处理，并承担相应的法律责任。"
)
# Proof the applicant still has to bring (the materials the rule set lists, in plain words).
OBLIGATION_HINT = "申请时上传已纠正失信行为、履行相关义务的证明材料（如罚款缴纳凭证、整改报告、主管部门出具的证明）"


def _not_accessible() -> Forbidden:
    return Forbidden("record_not_accessible", "您只能查询或申请修复本人或您可代为办理的企业的信用信息。")


def accessible_record(session: Session, actor: Actor, record_id: int) -> CreditRecord:
    """The current record ``record_id`` if it is the actor's or a firm's they act for; else the same
    403 as for an id that does not exist."""
    require_identity(actor, "请先完成实名认证，再办理信用修复。")
    record = session.get(CreditRecord, record_id) if record_id and 0 < record_id < 2**31 else None
    if record is None or not record.is_current or not may_act_for_subject(session, actor, record.subject_id):
        raise _not_accessible()
    return record


def timing_of(record: CreditRecord, today: date) -> RepairTiming:
    """The one eligibility function applied to a stored record."""
    return repair_timing(kind=record.kind.value, polarity=record.polarity.value, status=record.status.value,
                         publicity_min_end=record.publicity_min_end, rule_version=record.rule_version, as_of=today)


# --- what repair would change -----------------------------------------------------------------


def _grade(result: Result) -> dict[str, Any]:
    return {"score": result.score, "grade": result.grade, "grade_label": result.grade_label}


def what_if_repaired(session: Session, subject_id: int, record_ids: Iterable[int],
                     today: date | None = None) -> tuple[Result, Result]:
    """(now, if repaired): the engine over the subject's current facts, then over the same facts with
    ``record_ids`` 已修复 and the active list entries resting on them lifted (what a repair does)."""
    today = today or china_today()
    ids = set(record_ids)
    kind = session.execute(select(Subject.kind).where(Subject.id == subject_id)).scalar_one()
    facts = load_facts(session, [subject_id])
    rules = rules_for(value_of(kind), today)
    records, lists, kept = facts.records[subject_id], facts.lists[subject_id], facts.commitments[subject_id]
    lifted = set(session.execute(select(ListEntry.id).where(
        ListEntry.record_id.in_(ids), ListEntry.status == ListEntryStatus.ACTIVE)).scalars()) if ids else set()
    now = evaluate(rules, records, lists, today, kept)
    after = evaluate(rules, [replace(r, status=RecordStatus.REPAIRED.value) if r.id in ids else r for r in records],
                     [replace(e, status=ListEntryStatus.REMOVED.value) if e.id in lifted else e for e in lists],
                     today, kept)
    return now, after


# --- eligibility --------------------------------------------------------------------------------


def _open_application_id(session: Session, record_id: int) -> int | None:
    return session.execute(select(RepairRecord.application_id).where(
        RepairRecord.record_id == record_id, RepairRecord.is_open.is_(True))).scalar()


def _repair_commitment(session: Session, subject_id: int) -> Commitment | None:
    """The subject's 信用修复型 commitment in force (履约中), newest first."""
    return session.execute(select(Commitment).where(
        Commitment.subject_id == subject_id, Commitment.type == CommitmentType.REPAIR,
        Commitment.status == CommitmentStatus.ACTIVE).order_by(Commitment.signed_on.desc(), Commitment.id.desc())
    ).scalars().first()


def repair_catalogue_items(session: Session, subject_id: int) -> list[CommitmentItem]:
    """The active 信用修复型 items of the commitment catalogue this subject's kind may sign."""
    subject = session.get(Firm, subject_id) or session.get_one(Person, subject_id)
    kind = subject_kind(subject).value
    return [i for i in session.execute(select(CommitmentItem).where(
        CommitmentItem.active.is_(True), CommitmentItem.type == CommitmentType.REPAIR)
        .order_by(CommitmentItem.id)).scalars() if kind in i.subject_kinds]


def _commitment_step(session: Session, subject_id: int) -> dict[str, Any]:
    signed = _repair_commitment(session, subject_id)
    if signed is not None:
        return {"code": "commitment", "label": "作出信用修复承诺", "done": True,
                "detail": f"已签署“{signed.matter}”（{chinese_date(signed.signed_on)}）", "commitment_id": signed.id}
    items = repair_catalogue_items(session, subject_id)
    if items:
        names = "、".join(f"“{i.name}”（事项编号{i.id}）" for i in items)
        return {"code": "commitment", "label": "作出信用修复承诺", "done": False,
                "detail": f"申请时在线签署信用修复承诺书：{names}", "commitment_item_ids": [i.id for i in items]}
    return {"code": "commitment", "label": "作出信用修复承诺", "done": False,
            "detail": "申请时阅读并确认《信用修复承诺书》", "promise_version": PROMISE_VERSION}


def eligibility(session: Session, actor: Actor, record_id: int, today: date | None = None) -> dict[str, Any]:
    """May this record be repaired, from when, where, under which rule (and its basis), what is still
    missing, and what the grade would be once repaired."""
    today = today or china_today()
    record = accessible_record(session, actor, record_id)
    timing = timing_of(record, today)
    rules = timing.rules
    terms = rules.repair if rules is not None else None
    out: dict[str, Any] = {
        "record_id": record.id, "route": timing.route, "eligible": timing.eligible_now,
        "earliest_date": timing.earliest, "message": timing.message, "apply_at": timing.filed_at,
        "rule": ({"version": rules.version, "title": rules.title, "basis": timing.basis} if rules is not None
                 else {"version": record.rule_version, "title": None, "basis": timing.basis}),
        "conditions": list(terms.conditions) if terms else [], "materials": list(terms.materials) if terms else [],
        "handling": ({"department_working_days": terms.handling.department_working_days,
                      "platform_working_days": terms.handling.platform_working_days, "basis": terms.handling.basis}
                     if terms is not None and terms.handling is not None else None),
        "methods": [{"code": m.value, "label": label} for m, label in METHOD_LABELS.items()],
        "missing": [], "open_application_id": None, "current": None, "if_repaired": None,
    }
    if timing.route == COURT or not (timing.here or timing.route in (MARKET, ON_HOLD)):
        return out
    min_done = record.publicity_min_end is None or today >= record.publicity_min_end
    out["missing"] = [
        {"code": "min_period", "label": "已达到最短公示期", "done": min_done,
         "detail": (f"最短公示期{chinese_date(record.publicity_min_end)}届满" if record.publicity_min_end
                    else "无最短公示期要求（履行义务后即可申请）")},
        {"code": "obligation", "label": "已纠正失信行为并履行相关义务", "done": False, "detail": OBLIGATION_HINT},
        _commitment_step(session, record.subject_id),
    ]
    open_id = _open_application_id(session, record.id)
    if open_id is not None:
        out["open_application_id"] = open_id
        out["message"] = "这条信息已有正在办理的信用修复申请，请等待办理结果"
    now, after = what_if_repaired(session, record.subject_id, [record.id], today)
    out["current"], out["if_repaired"] = _grade(now), _grade(after)
    out["if_repaired"]["change"] = after.score - now.score
    return out


# --- filing -------------------------------------------------------------------------------------


def answer_due(session: Session, filed_on: date) -> date | None:
    """The day the applicant must be answered by: the handling time of the repair rules in force on
    ``filed_on`` (国办发〔2025〕22号: 10 working days of a complete application), over the calendar table.
    None where the rule set holds no handling time (Order 58)."""
    terms = repair_rule_on(filed_on).repair
    handling = terms.handling if terms is not None else None
    return add_working_days(session, filed_on, handling.platform_working_days) if handling else None


def normalize_query_code(raw: str | None) -> str | None:
    """The stored form of a typed 查询码 (upper case, spaces and hyphens dropped), or None if it
    cannot be one."""
    if not raw or len(raw) > 64:
        return None
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != QUERY_LENGTH or any(c not in QUERY_ALPHABET for c in code):
        return None
    return code


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_LENGTH))


def _methods(values: list[str] | None) -> list[str]:
    choices = "、".join(f"{m.value}（{label}）" for m, label in METHOD_LABELS.items())
    if not values:
        raise field_error("methods", "methods_required", f"请选择信用修复方式：{choices}。")
    out = []
    for v in values:
        try:
            out.append(Method(v).value)
        except ValueError:
            raise field_error("methods", "method_invalid", f"信用修复方式应为：{choices}。") from None
    return list(dict.fromkeys(out))


def _records(session: Session, actor: Actor, record_ids: list[int] | None) -> list[CreditRecord]:
    ids = list(dict.fromkeys(record_ids or []))
    if not ids:
        raise field_error("record_ids", "records_required", "请选择需要修复的信用信息。")
    if len(ids) > MAX_RECORDS:
        raise field_error("record_ids", "too_many_records", f"一次申请最多{MAX_RECORDS}条信用信息。")
    records = [accessible_record(session, actor, i) for i in ids]
    if len({r.subject_id for r in records}) > 1:
        raise field_error("record_ids", "repair_subjects_mixed", "一次申请只能修复同一主体（本人或同一企业）的信用信息。")
    if len({r.department_id for r in records}) > 1:
        raise field_error("record_ids", "repair_departments_mixed",
                          "这些信息由不同单位认定，请按认定单位分别提出修复申请。")
    # Serialise filings on these records (in id order: no deadlock between two applicants).
    session.execute(select(CreditRecord.id).where(CreditRecord.id.in_(ids)).order_by(CreditRecord.id).with_for_update())
    for r in records:
        session.refresh(r)
    return records


def _check_eligible(session: Session, record: CreditRecord, today: date) -> None:
    if _open_application_id(session, record.id) is not None:
        raise Conflict("repair_open", "这条信息已有正在办理的信用修复申请，请等待办理结果。")
    timing = timing_of(record, today)
    if timing.route == ELIGIBLE:
        return
    detail: dict[str, Any] = {"record_id": record.id, "route": timing.route,
                              "earliest_date": timing.earliest.isoformat() if timing.earliest else None,
                              "apply_at": timing.filed_at}
    if timing.route == NOT_YET:
        raise ValidationFailed("repair_not_yet", f"“{record.title}”{timing.message}，届时再申请。", errors=detail)
    if timing.route in (COURT, MARKET):
        raise ValidationFailed("repair_not_here", f"“{record.title}”：{timing.message}。", errors=detail)
    if timing.route == ON_HOLD:
        raise Conflict("record_objected", f"“{record.title}”{timing.message}。", errors=detail)
    raise ValidationFailed("repair_not_needed", f"“{record.title}”：{timing.message}。", errors=detail)


def _commitment(session: Session, actor: Actor, subject_id: int, *, commitment_id: int | None,
                commitment_item_id: int | None, template_version: int | None, notice_version: int | None,
                promise_acknowledged: bool | None) -> tuple[int | None, str | None]:
    """(commitment id, promise version): a 信用修复型 commitment already signed, one signed now through
    the commitments capability, or — where the catalogue has none for this subject — the plain promise."""
    if commitment_id is not None:
        c = session.get(Commitment, commitment_id) if 0 < commitment_id < 2**31 else None
        if (c is None or c.subject_id != subject_id or c.type != CommitmentType.REPAIR
                or c.status != CommitmentStatus.ACTIVE):
            raise field_error("commitment_id", "commitment_invalid", "请选择该主体已签署、仍在履约中的信用修复承诺。")
        return c.id, None
    if commitment_item_id is not None:
        item = session.get(CommitmentItem, commitment_item_id) if 0 < commitment_item_id < 2**31 else None
        if item is None or item.type != CommitmentType.REPAIR:
            raise field_error("commitment_item_id", "commitment_item_invalid", "请选择信用修复型承诺事项。")
        firm = session.get(Firm, subject_id)
        signed = sign_commitment(session, actor, item.id, uscc=firm.uscc if firm else None,
                                 notice_version=notice_version, template_version=template_version)
        return signed.id, None
    items = repair_catalogue_items(session, subject_id)
    if items:
        names = "、".join(f"“{i.name}”（{i.id}）" for i in items)
        raise field_error("commitment_item_id", "repair_commitment_required",
                          f"请签署信用修复承诺书后再申请（commitment_item_id）：{names}。")
    if promise_acknowledged is not True:
        raise field_error("promise_acknowledged", "promise_required", "请阅读并确认《信用修复承诺书》。")
    return None, PROMISE_VERSION


def file_repair(session: Session, actor: Actor, *, record_ids: list[int], methods: list[str], statement: str,
                proof_upload_ids: list[int] | None = None, commitment_id: int | None = None,
                commitment_item_id: int | None = None, template_version: int | None = None,
                notice_version: int | None = None, promise_acknowledged: bool | None = None,
                today: date | None = None) -> RepairApplication:
    """Apply for repair of one or more eligible records of one subject (one providing department).

    Refusals: ``record_not_accessible`` (403), ``repair_not_yet`` / ``repair_not_here`` /
    ``repair_not_needed`` (422, with the date or where to go), ``repair_open`` / ``record_objected``
    (409), ``methods_required`` / ``method_invalid``, ``statement_required``, ``proof_required``,
    ``upload_invalid``, ``repair_commitment_required`` / ``promise_required`` (422)."""
    person_id = require_identity(actor, "请先完成实名认证，再办理信用修复。")
    today = today or china_today()
    chosen = _methods(methods)
    statement = clean_text(statement, "statement", "整改及履行义务情况说明", True, STATEMENT_MAX)
    proofs = list(dict.fromkeys(proof_upload_ids or []))
    if not proofs:
        raise field_error("proof_upload_ids", "proof_required", f"请{OBLIGATION_HINT}。")
    if len(proofs) > MAX_PER_OBJECTION:
        raise field_error("proof_upload_ids", "too_many_files", f"证明材料最多{MAX_PER_OBJECTION}个文件。")
    records = _records(session, actor, record_ids)
    for r in records:
        _check_eligible(session, r, today)
    subject_id, department_id = records[0].subject_id, records[0].department_id
    signed_id, promise = _commitment(session, actor, subject_id, commitment_id=commitment_id,
                                     commitment_item_id=commitment_item_id, template_version=template_version,
                                     notice_version=notice_version, promise_acknowledged=promise_acknowledged)
    rules = timing_of(records[0], today).rules
    app = RepairApplication(subject_id=subject_id, department_id=department_id, account_id=actor.id,
                            person_id=person_id, methods=chosen, statement=statement, commitment_id=signed_id,
                            promise_version=promise, rule_version=rules.version if rules else records[0].rule_version,
                            status=RepairStatus.SUBMITTED, is_open=True,
                            answer_due=answer_due(session, today))
    code = new_query_code()
    while session.execute(select(RepairApplication.id).where(RepairApplication.query_code == code)).first():
        code = new_query_code()  # 31**10 codes: practically never (the unique index is the backstop)
    app.query_code = code
    session.add(app)
    session.flush()
    try:
        with session.begin_nested():
            session.add_all([RepairRecord(application_id=app.id, record_id=r.id, is_open=True) for r in records])
            session.flush()
    except IntegrityError:
        raise Conflict("repair_open", "这条信息已有正在办理的信用修复申请，请等待办理结果。") from None
    claim_uploads(session, actor, proofs, f"repair:{app.id}", field="proof_upload_ids")
    queue.open_item(session, actor, kind="repair", ref_id=app.id, subject_id=subject_id,
                    department_id=department_id, start=today)
    audit(session, actor, "repair.file", "repair_application", app.id, record_ids=[r.id for r in records],
          methods=chosen, commitment_id=signed_id, proofs=len(proofs), rule_version=app.rule_version)
    return app


# --- following ----------------------------------------------------------------------------------


def _own(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    person_id = require_identity(actor, "请先完成实名认证。")
    app = session.get(RepairApplication, application_id) if 0 < application_id < 2**31 else None
    if app is None or app.person_id != person_id or not may_act_for_subject(session, actor, app.subject_id):
        raise NotFound("repair_not_found", "没有找到该信用修复申请。")
    return app


def get_own_repair(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    """One of the caller's applications (someone else's: 404 like a missing id)."""
    return _own(session, actor, application_id)


def list_own_repairs(session: Session, actor: Actor) -> list[RepairApplication]:
    """The caller's applications, newest first (those of a firm they no longer act for left out)."""
    person_id = require_identity(actor, "请先完成实名认证。")
    rows = list(session.execute(select(RepairApplication).where(RepairApplication.person_id == person_id)
                                .order_by(RepairApplication.created_at.desc(), RepairApplication.id.desc())).scalars())
    allowed = {sid: may_act_for_subject(session, actor, sid) for sid in {a.subject_id for a in rows}}
    return [a for a in rows if allowed[a.subject_id]]


def record_ids_of(session: Session, application_id: int) -> list[int]:
    return list(session.execute(select(RepairRecord.record_id).where(RepairRecord.application_id == application_id)
                                .order_by(RepairRecord.id)).scalars())


def close_application(session: Session, actor: Actor, app: RepairApplication, status: RepairStatus,
                      reason: str | None, *, record_outcome: str | None = None) -> None:
    """Close an application and its record links (the records' unique "open" slot is freed)."""
    app.status, app.is_open, app.decision_reason, app.decided_at = status, False, reason, utcnow()
    for link in session.execute(select(RepairRecord).where(RepairRecord.application_id == app.id,
                                                           RepairRecord.is_open.is_(True))).scalars():
        link.is_open = False
        link.outcome = link.outcome or record_outcome
    session.flush()


def withdraw_repair(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    """The applicant withdraws an application still being handled (its queue item closes)."""
    app = _own(session, actor, application_id)
    item = queue.item_for(session, "repair", app.id)
    # Lock in the order a staff decision does (queue item, then application): a withdrawal racing a
    # decision waits for it, then finds the application closed — never a deadlock.
    if item is not None:
        session.execute(select(QueueItem.id).where(QueueItem.id == item.id).with_for_update())
        session.refresh(item)
    session.execute(select(RepairApplication.id).where(RepairApplication.id == app.id).with_for_update())
    session.refresh(app)
    if not app.is_open:
        raise Conflict("repair_closed", "该信用修复申请已办结，不能撤回。")
    close_application(session, actor, app, RepairStatus.WITHDRAWN, "申请人撤回申请")
    if item is not None:
        queue.close_item(session, actor, item, "withdrawn", "申请人撤回")
    audit(session, actor, "repair.withdraw", "repair_application", app.id)
    return app


def public_status(session: Session, raw_code: str) -> RepairApplication:
    """The application behind a 查询码 (any case); unknown and malformed codes: the same 404."""
    code = normalize_query_code(raw_code)
    app = session.execute(select(RepairApplication).where(RepairApplication.query_code == code)).scalar() if code else None
    if app is None:
        raise NotFound("repair_not_found", "没有找到该查询码对应的信用修复申请，请核对后重新输入。")
    return app


# --- records that reach 已到期 while an application is pending -----------------------------------


def close_for_expired_records(session: Session, today: date | None = None) -> int:
    """Pending applications on records that reached 已到期 (end of the maximum publicity period): the
    record leaves them; an application left with no pending record closes itself with that reason.
    Run by the records' expiry job after it expires records. Returns how many applications closed."""
    today = today or china_today()
    rows = session.execute(
        select(RepairRecord, CreditRecord.publicity_max_end)
        .join(CreditRecord, CreditRecord.id == RepairRecord.record_id)
        .where(RepairRecord.is_open.is_(True), CreditRecord.status == RecordStatus.EXPIRED)
        .order_by(RepairRecord.application_id, RepairRecord.id)
    ).all()
    touched: dict[int, date | None] = {}
    for link, max_end in rows:
        link.is_open, link.outcome = False, "expired"
        touched[link.application_id] = max_end
    session.flush()
    closed = 0
    for app_id, max_end in touched.items():
        app = session.get_one(RepairApplication, app_id)
        still = session.execute(select(RepairRecord.id).where(RepairRecord.application_id == app_id,
                                                              RepairRecord.is_open.is_(True))).first()
        audit(session, SYSTEM, "repair.record_expired", "repair_application", app_id, closed=still is None)
        if still is not None or not app.is_open:
            continue
        when = f"于{chinese_date(max_end)}" if max_end else ""
        reason = f"申请修复的信息已{when}到最长公示期，自动停止公示，无需再修复，申请终结。"
        close_application(session, SYSTEM, app, RepairStatus.EXPIRED, reason, record_outcome="expired")
        item = queue.item_for(session, "repair", app_id)
        if item is not None:
            queue.close_item(session, SYSTEM, item, "expired", reason)
        closed += 1
    return closed

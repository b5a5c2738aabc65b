"""Credit record services (信用信息): submit, correct (supersede), change status, read, expire.

No Flask here: every function takes a ``Session`` and, for changes, an explicit ``Actor``; it
flushes but never commits. Records are never deleted: a correction (更正) writes a new version and
marks the old one ``corrected``; every status change is kept in ``record_events`` and audited.

Other contexts call :func:`change_status` (objections: 异议中 and back; repair: 已修复; revocation)
and :func:`expire_due_records` (the periodic job).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, insert, literal, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import CHINA_TZ
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, NotFound, ValidationFailed
from backend.records.models import CreditRecord, Polarity, RecordBatch, RecordEvent, RecordKind, RecordStatus
from backend.records.publicity import publish_by_exception, refresh_favourable_windows, window_for
from backend.records.validation import (
    FIELDS,
    CleanRecord,
    Departments,
    RowChecker,
    canonical_row,
    ensure_can_submit,
    local_today,
)
from backend.staff.models import Department
from backend.staff.services import scoped_department_id
from backend.subjects.changes import subject_changed
from backend.subjects.models import Firm, Person
from backend.subjects.services import find_subject_ids

PUBLISH_WORKING_DAYS = 7  # 双公示: online within 7 working days of the decision

# Which status may follow which. 已更正 (corrected) only comes from supersede_record.
TRANSITIONS: dict[RecordStatus, frozenset[RecordStatus]] = {
    RecordStatus.PUBLICIZING: frozenset({RecordStatus.OBJECTED, RecordStatus.REVOKED, RecordStatus.REPAIRED,
                                         RecordStatus.EXPIRED}),
    RecordStatus.OBJECTED: frozenset({RecordStatus.PUBLICIZING, RecordStatus.REVOKED}),
    RecordStatus.EXPIRED: frozenset({RecordStatus.REVOKED}),
    RecordStatus.REPAIRED: frozenset({RecordStatus.REVOKED}),
    RecordStatus.CORRECTED: frozenset(),
    RecordStatus.REVOKED: frozenset(),
}
# Statuses whose record may still be corrected by a new version.
CORRECTABLE = frozenset({RecordStatus.PUBLICIZING, RecordStatus.OBJECTED, RecordStatus.EXPIRED})


def record_values(clean: CleanRecord, publish_deadline: date, today: date, *, published_on: date | None = None,
                  now: datetime | None = None, department: Department | None = None) -> dict[str, Any]:
    """The column values of a new current record (shared by single and batch submission).

    ``department`` (the providing one) selects the rule family: market regulation has its own."""
    window = window_for(clean.kind, clean.severity, clean.decision_date, clean.domain, clean.polarity,
                        department=department, title=clean.title, summary=clean.summary,
                        amount_yuan=clean.amount_yuan, today=today)
    now = now or utcnow()
    expired = window.max_end is not None and window.max_end < today
    return {
        "subject_id": clean.subject_id,
        "kind": clean.kind,
        "polarity": clean.polarity,
        "department_id": clean.department_id,
        "decision_no": clean.decision_no,
        "decision_date": clean.decision_date,
        "title": clean.title,
        "summary": clean.summary,
        "legal_basis": clean.legal_basis,
        "severity": clean.severity,
        "domain": clean.domain,
        "amount_yuan": clean.amount_yuan,
        "publicity_start": window.start,
        "publicity_min_end": window.min_end,
        "publicity_max_end": window.max_end,
        "publish_deadline": publish_deadline,
        "published_late": (published_on or today) > publish_deadline,
        "rule_version": window.rule_version,
        "publication": window.publication,
        "publication_basis": None,
        # A decision older than its maximum period is on record but no longer published.
        "status": RecordStatus.EXPIRED if expired else RecordStatus.PUBLICIZING,
        "status_changed_at": now,
        "version": 1,
        "supersedes_id": None,
        "is_current": True,
        "superseded_at": None,
        "created_at": now,
    }


def current_keys(session: Session, keys: set[tuple[int, str, int]]) -> set[tuple[int, str, int]]:
    """Which (department, decision_no, subject) keys already have a current record (chunked query)."""
    found: set[tuple[int, str, int]] = set()
    ordered = sorted(keys)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        numbers = {k[1] for k in chunk}
        depts = {k[0] for k in chunk}
        rows = session.execute(
            select(CreditRecord.department_id, CreditRecord.decision_no, CreditRecord.subject_id).where(
                CreditRecord.is_current.is_(True),
                CreditRecord.department_id.in_(depts),
                CreditRecord.decision_no.in_(numbers),
            )
        )
        found.update(k for k in (tuple(r) for r in rows) if k in keys)
    return found


def _duplicate() -> Conflict:
    return Conflict("duplicate_record", "该部门已提交过这份决定文书对该主体的信用信息；如需修改，请使用“更正”。")


def insert_current(session: Session, record: CreditRecord) -> None:
    """Add a current record and flush it in a savepoint, so a concurrent duplicate (the unique index of
    current decisions) is a 409 ``duplicate_record``, not a broken transaction. Every new version enters so."""
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        raise _duplicate() from None


def submit_record(session: Session, actor: Actor, data: Mapping[str, Any], *, today: date | None = None) -> CreditRecord:
    """Submit one credit record for the actor's department (credit office: any, via ``department_code``).

    ``data`` uses the field names of :data:`backend.records.validation.FIELDS` (or the Chinese headers).
    Refusals: the subject code validator's reason, ``subject_unknown``, ``kind_invalid``,
    ``severity_required``, ``decision_date_*``, ``kind_out_of_scope``, ``duplicate_record`` (409) …
    """
    ensure_can_submit(actor)
    today = today or local_today()
    row = canonical_row(data)
    subject_ids = find_subject_ids(session, [str(row.get("subject_code") or "")])
    clean = RowChecker(actor, today, subject_ids, Departments(session)).check(row)
    if current_keys(session, {clean.key}):
        raise _duplicate()
    deadline = add_working_days(session, clean.decision_date, PUBLISH_WORKING_DAYS)
    record = CreditRecord(**record_values(clean, deadline, today, department=session.get(Department, clean.department_id)),
                          created_by_id=_staff_id(actor))
    insert_current(session, record)
    audit(session, actor, "record.create", "credit_record", record.id, kind=record.kind.value,
          department_id=record.department_id, subject_id=record.subject_id, polarity=record.polarity.value,
          published_late=record.published_late)
    subject_changed(session, [record.subject_id], "record.create")
    return record


def _staff_id(actor: Actor) -> int | None:
    return actor.id if actor.is_staff else None


def get_record(session: Session, record_id: int) -> CreditRecord:
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound("record_not_found", "没有找到这条信用信息。")
    return record


def _in_scope(actor: Actor, department_id: int) -> bool:
    """The staff department scope (backend.staff.services): own department, or all for the credit
    office and auditors. Out of scope is answered as not found, so ids reveal nothing."""
    allowed = scoped_department_id(actor)
    return allowed is None or allowed == department_id


def ensure_department_access(actor: Actor, record: CreditRecord) -> None:
    """Department reviewers act on their own department's records only (others: not found)."""
    if not _in_scope(actor, record.department_id):
        raise NotFound("record_not_found", "没有找到这条信用信息。")


def get_batch(session: Session, actor: Actor, batch_id: int) -> RecordBatch:
    """One submission with its refused rows, within the actor's department scope."""
    batch = session.get(RecordBatch, batch_id)
    if batch is None or not _in_scope(actor, batch.department_id):
        raise NotFound("batch_not_found", "没有找到这次报送。")
    return batch


def _event(session: Session, actor: Actor, record: CreditRecord, to_status: RecordStatus, note: str | None) -> None:
    session.add(RecordEvent(record_id=record.id, from_status=record.status.value, to_status=to_status.value,
                            actor=actor.ref, note=note))


def supersede_record(session: Session, actor: Actor, record_id: int, changes: Mapping[str, Any], reason: str, *,
                     today: date | None = None) -> CreditRecord:
    """Correct a record (更正): a new version with the changes; the old one becomes 已更正.

    ``changes`` uses the submission field names; the department cannot change. The publication
    date stays the original one, so ``published_late`` only changes if the decision date does.
    """
    ensure_can_submit(actor)
    today = today or local_today()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason_required", "请填写更正原因。", errors={"reason": ["请填写更正原因。"]})
    if any(ord(c) < 32 and c not in "\t\r\n" for c in reason):
        raise ValidationFailed("reason_invalid", "更正原因含有无法识别的字符。", errors={"reason": ["含有无法识别的字符。"]})
    if len(reason) > 1000:
        raise ValidationFailed("reason_too_long", "更正原因不能超过1000个字。", errors={"reason": ["更正原因过长。"]})
    old = get_record(session, record_id)
    ensure_department_access(actor, old)
    if not old.is_current:
        raise Conflict("record_not_current", "这条信息已有更新的版本，请在最新版本上更正。")
    if old.status not in CORRECTABLE:
        raise Conflict("record_closed", "这条信息已撤销或已修复，不能再更正。")
    requested = canonical_row(changes)
    requested.pop("department_code", None)
    if not requested:
        raise ValidationFailed("no_changes", "请填写需要更正的内容。", errors={"changes": ["没有需要更正的内容。"]})
    merged = {**_as_row(session, old), **requested}
    subject_ids = find_subject_ids(session, [str(merged.get("subject_code") or "")])
    dept_code = _department_code(session, old.department_id)
    merged["department_code"] = dept_code
    # The department stays the old one, even when the credit office makes the correction.
    as_owner = replace(actor, department_id=old.department_id)
    clean = RowChecker(as_owner, today, subject_ids, Departments(session)).check(merged)
    changed = [f for f in (*FIELDS, "polarity") if f not in ("department_code", "result") and _differs(clean, old, f)]
    if not changed:
        raise ValidationFailed("no_changes", "更正内容与原信息相同。", errors={"changes": ["更正内容与原信息相同。"]})
    if clean.key != (old.department_id, old.decision_no, old.subject_id) and current_keys(session, {clean.key}):
        raise _duplicate()
    deadline = (old.publish_deadline if clean.decision_date == old.decision_date
                else add_working_days(session, clean.decision_date, PUBLISH_WORKING_DAYS))
    published_on = old.created_at.astimezone(CHINA_TZ).date()
    values = record_values(clean, deadline, today, published_on=published_on,
                           department=session.get(Department, old.department_id))
    now = utcnow()
    _event(session, actor, old, RecordStatus.CORRECTED, reason)
    # One conditional UPDATE claims the old version: of two concurrent corrections exactly one wins
    # (the other waits for the row lock, then finds is_current false), so history never forks.
    _claim(session, old, RecordStatus.CORRECTED, now, is_current=False, superseded_at=now)
    values.update(version=old.version + 1, supersedes_id=old.id, batch_id=old.batch_id)
    new = CreditRecord(**values, created_by_id=_staff_id(actor))
    insert_current(session, new)
    audit(session, actor, "record.supersede", "credit_record", new.id, supersedes_id=old.id,
          version=new.version, fields=changed)  # the reason (free text) is kept in record_events
    subject_changed(session, {old.subject_id, new.subject_id}, "record.supersede")
    return new


def publish_record_by_exception(session: Session, actor: Actor, record_id: int, basis: str) -> CreditRecord:
    """The record's department (or the credit office) publishes a withheld 轻微 record by exception,
    with its basis (see :func:`backend.records.publicity.publish_by_exception`)."""
    ensure_can_submit(actor)
    record = get_record(session, record_id)
    ensure_department_access(actor, record)
    return publish_by_exception(session, actor, record, basis)


def _department_code(session: Session, department_id: int) -> str:
    return session.get_one(Department, department_id).code


def _as_row(session: Session, record: CreditRecord) -> dict[str, Any]:
    """The stored record as a submission row (the base a correction's changes apply to)."""
    firm = session.get(Firm, record.subject_id)
    code = firm.uscc if firm is not None else session.get_one(Person, record.subject_id).id_number
    return {
        "subject_code": code, "kind": record.kind.value,
        "severity": record.severity.value if record.severity else None,
        "decision_no": record.decision_no, "decision_date": record.decision_date, "title": record.title,
        "summary": record.summary, "legal_basis": record.legal_basis, "domain": record.domain,
        "amount_yuan": record.amount_yuan,
        # Keep an inspection's negative finding when only other fields change.
        "result": "发现问题" if record.polarity == Polarity.NEGATIVE and record.kind == RecordKind.ADMIN_INSPECTION else None,
    }


def _differs(clean: CleanRecord, old: CreditRecord, field: str) -> bool:
    if field == "subject_code":
        return clean.subject_id != old.subject_id
    return getattr(clean, field) != getattr(old, field)


def change_status(session: Session, actor: Actor, record: CreditRecord, to_status: RecordStatus | str,
                  note: str | None = None) -> CreditRecord:
    """Move a current record to ``to_status`` (异议中, 已撤销, 已修复 …), with a history event and audit.

    Callers (objections, repair) check their own permissions; this checks the transition only.
    """
    to_status = RecordStatus(to_status)
    if not record.is_current:
        raise Conflict("record_not_current", "这条信息已有更新的版本。")
    if to_status not in TRANSITIONS[record.status]:
        raise Conflict("status_transition_invalid", "这条信息当前的状态不能进行此项变更。")
    from_status = record.status
    _event(session, actor, record, to_status, note)
    _claim(session, record, to_status, utcnow())
    audit(session, actor, "record.status", "credit_record", record.id, from_status=from_status.value,
          to_status=to_status.value)
    subject_changed(session, [record.subject_id], f"record.{to_status.value}")
    return record


def _claim(session: Session, record: CreditRecord, to_status: RecordStatus, now, **values: Any) -> None:
    """Move ``record`` out of the status (and current version) it was read in, or 409 if someone
    else moved it first. Flushes; the old row leaves the unique "current decision" index here."""
    session.flush()
    result = cast(CursorResult[Any], session.execute(
        update(CreditRecord)
        .where(CreditRecord.id == record.id, CreditRecord.is_current.is_(True), CreditRecord.status == record.status)
        .values(status=to_status, status_changed_at=now, **values)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        raise Conflict("record_changed", "这条信息刚被其他人处理过，请刷新后再试。")
    session.refresh(record)


def record_history(session: Session, record_id: int) -> list[CreditRecord]:
    """Every version of the record, oldest first (follows ``supersedes_id`` both ways)."""
    record = get_record(session, record_id)
    chain = [record]
    while chain[0].supersedes_id is not None:
        chain.insert(0, session.get_one(CreditRecord, chain[0].supersedes_id))
    while True:
        newer = session.execute(select(CreditRecord).where(CreditRecord.supersedes_id == chain[-1].id)).scalar()
        if newer is None:
            return chain
        chain.append(newer)


def record_events(session: Session, record_ids: list[int]) -> list[RecordEvent]:
    return list(session.execute(
        select(RecordEvent).where(RecordEvent.record_id.in_(record_ids)).order_by(RecordEvent.at, RecordEvent.id)
    ).scalars())


def list_subject_records(session: Session, subject_id: int, include_history: bool = False) -> list[CreditRecord]:
    """A subject's records, newest decision first (current versions only unless ``include_history``)."""
    stmt = select(CreditRecord).where(CreditRecord.subject_id == subject_id)
    if not include_history:
        stmt = stmt.where(CreditRecord.is_current.is_(True))
    stmt = stmt.order_by(CreditRecord.decision_date.desc(), CreditRecord.id.desc())
    return list(session.execute(stmt).scalars())


EXPIRE_CHUNK = 5000


def expire_due_records(session: Session, today: date | None = None, *, chunk: int = EXPIRE_CHUNK) -> int:
    """Publicity ends at the maximum period (最长公示期届满): current 公示中 records whose
    ``publicity_max_end`` is before ``today`` become 已到期. Returns how many.

    Works in chunks of ``chunk`` records, so a year-end with millions of due records never holds
    them in memory: on PostgreSQL one ``UPDATE … RETURNING subject_id`` per chunk, elsewhere a
    ``SELECT`` of the ids then an ``UPDATE``. The affected subjects are rescored and their cards
    dropped after commit (one job per chunk).
    """
    today = today or local_today()
    # 从旧兼从轻 first: a record decided under an earlier rule set may end sooner under today's.
    refresh_favourable_windows(session, today)
    due = and_(
        CreditRecord.status == RecordStatus.PUBLICIZING,
        CreditRecord.is_current.is_(True),
        CreditRecord.publicity_max_end.is_not(None),
        CreditRecord.publicity_max_end < today,
    )
    now = utcnow()
    session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    total = 0
    while True:
        if postgres:
            picked = select(CreditRecord.id).where(due).limit(chunk).with_for_update(skip_locked=True)
            rows = session.execute(
                update(CreditRecord).where(CreditRecord.id.in_(picked.scalar_subquery()))
                .values(status=RecordStatus.EXPIRED, status_changed_at=now)
                .returning(CreditRecord.id, CreditRecord.subject_id)
                .execution_options(synchronize_session=False)
            ).all()
        else:
            rows = session.execute(select(CreditRecord.id, CreditRecord.subject_id).where(due).limit(chunk)).all()
            if rows:
                session.execute(
                    update(CreditRecord).where(CreditRecord.id.in_([r[0] for r in rows]))
                    .values(status=RecordStatus.EXPIRED, status_changed_at=now)
                    .execution_options(synchronize_session=False)
                )
        if not rows:
            break
        ids = [r[0] for r in rows]
        session.execute(
            insert(RecordEvent).from_select(
                ["record_id", "from_status", "to_status", "actor", "note", "at"],
                select(CreditRecord.id, _literal(RecordStatus.PUBLICIZING.value),
                       _literal(RecordStatus.EXPIRED.value), _literal(SYSTEM.ref),
                       _literal("最长公示期届满，自动停止公示"), _literal(now, CreditRecord.status_changed_at))
                .where(CreditRecord.id.in_(ids)),
            )
        )
        _expire_loaded(session, ids)
        subject_changed(session, (r[1] for r in rows), "record.expire")
        total += len(rows)
        if len(rows) < chunk:
            break
    if total:
        audit(session, SYSTEM, "record.expire", "credit_record", None, count=total, before=today.isoformat())
    return total


def _expire_loaded(session: Session, record_ids: list[int]) -> None:
    """Records of this chunk already in the session reload their new status on next access."""
    for record_id in record_ids:
        obj = session.identity_map.get(session.identity_key(CreditRecord, record_id))
        if obj is not None:
            session.expire(obj, ["status", "status_changed_at"])


def _literal(value: Any, like=None):
    return literal(value, type_=like.type if like is not None else None)

"""Reading credit records for staff: filtered, paginated search and who/what a record is about.

Person subjects are shown masked (``320803********1234``, ``张*``): staff are not the owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.crypto import mask_id_number, mask_name
from backend.common.paging import Page, paginate
from backend.platform.errors import ValidationFailed
from backend.records.models import RECORD_STATUS_LABELS, CreditRecord, RecordStatus
from backend.records.validation import parse_kind
from backend.staff.models import Department
from backend.staff.services import department_scoped
from backend.subjects.models import Firm, Person
from backend.subjects.services import find_subject_id

_STATUS_NAMES = {s.value: s for s in RecordStatus} | {label: s for s, label in RECORD_STATUS_LABELS.items()}


def parse_status(value: str) -> RecordStatus:
    status = _STATUS_NAMES.get(value.strip())
    if status is None:
        raise ValidationFailed("status_invalid", "状态无法识别（如：公示中、已到期）。", errors={"status": ["状态无法识别。"]})
    return status


def search_records(
    session: Session,
    actor: Actor,
    *,
    subject_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_history: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> Page[CreditRecord]:
    """Records matching the filters, newest decision first. Department reviewers see their own
    department's records only; the credit office and auditors see all."""
    stmt = department_scoped(session, actor, select(CreditRecord), CreditRecord.department_id)
    if subject_code:
        subject_id = find_subject_id(session, subject_code)
        if subject_id is None:
            return Page.empty(page=page, per_page=per_page)
        stmt = stmt.where(CreditRecord.subject_id == subject_id)
    if kind:
        stmt = stmt.where(CreditRecord.kind == parse_kind(kind))
    if status:
        stmt = stmt.where(CreditRecord.status == parse_status(status))
    if date_from:
        stmt = stmt.where(CreditRecord.decision_date >= date_from)
    if date_to:
        stmt = stmt.where(CreditRecord.decision_date <= date_to)
    if not include_history:
        stmt = stmt.where(CreditRecord.is_current.is_(True))
    return paginate(session, stmt, CreditRecord.decision_date.desc(), CreditRecord.id.desc(), page=page,
                    per_page=per_page)


def describe_subjects(session: Session, subject_ids: Iterable[int]) -> dict[int, dict]:
    """``{subject_id: {id, kind, code, name}}``; persons masked."""
    ids = sorted(set(subject_ids))
    out: dict[int, dict] = {}
    if not ids:
        return out
    for fid, uscc, name in session.execute(select(Firm.id, Firm.uscc, Firm.name).where(Firm.id.in_(ids))):
        out[fid] = {"id": fid, "kind": "firm", "code": uscc, "name": name}
    for person in session.execute(select(Person).where(Person.id.in_(ids))).scalars():
        out[person.id] = {"id": person.id, "kind": "person", "code": mask_id_number(person.id_number),
                          "name": mask_name(person.name)}
    return out


def describe_departments(session: Session, department_ids: Iterable[int]) -> dict[int, dict]:
    ids = sorted(set(department_ids))
    if not ids:
        return {}
    rows = session.execute(select(Department.id, Department.code, Department.short_name).where(Department.id.in_(ids)))
    return {i: {"id": i, "code": code, "short_name": short} for i, code, short in rows}


def records_under_objection(session: Session, record_ids: Iterable[int | None]) -> set[int]:
    """Those of ``record_ids`` that are under objection (异议中) now."""
    ids = {i for i in record_ids if i}
    if not ids:
        return set()
    return set(session.scalars(
        select(CreditRecord.id).where(CreditRecord.id.in_(ids), CreditRecord.status == RecordStatus.OBJECTED)
    ))

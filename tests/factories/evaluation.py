"""Rows for the evaluation tests (tests/evaluation/): subjects, records, list entries and commitments.

Built on the per-context factories with fixed dates (the engine is evaluated on a given day) and one
test department, 评价测试部门; a bare subject row is enough for the engine.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from backend.commitments.models import Commitment
from backend.lists.models import ListEntry
from backend.records.models import CreditRecord
from backend.staff.models import Department, OrgType
from backend.subjects.models import Subject
from tests.factories.commitments import make_commitment
from tests.factories.lists import make_listing
from tests.factories.records import make_record
from tests.factories.staff import department_named
from tests.factories.subjects import make_subject

subject = make_subject


def department(db: Session) -> Department:
    return department_named(db, "EVAL-TEST", name="评价测试部门", short_name="评价测试", org_type=OrgType.GOVERNMENT)


def record(
    db: Session,
    subj: Subject,
    kind: str = "admin_penalty",
    *,
    polarity: str = "negative",
    severity: str | None = "general",
    status: str = "publicizing",
    decided: date = date(2026, 4, 1),
    min_days: int | None = 90,
    max_days: int | None = 365,
    is_current: bool = True,
    title: str = "测试记录",
) -> CreditRecord:
    return make_record(db, subj.id, kind, department_id=department(db).id, decided=decided, polarity=polarity,
                       severity=severity, status=status, min_days=min_days, max_days=max_days, is_current=is_current,
                       title=title)


def listing(
    db: Session,
    subj: Subject,
    list_type: str = "red",
    *,
    status: str = "active",
    listed: date = date(2026, 1, 1),
    expires: date | None = None,
) -> ListEntry:
    return make_listing(db, subj.id, list_type, department_id=department(db).id, listed=listed, status=status,
                        expires=expires)


def commitment(
    db: Session,
    subj: Subject,
    *,
    status: str = "kept",
    signed: date = date(2025, 6, 1),
    closed: date | None = date(2025, 12, 1),
    commitment_type: str = "disclosure",
) -> Commitment:
    return make_commitment(db, subj.id, department_id=department(db).id, status=status, signed=signed, closed=closed,
                           commitment_type=commitment_type)

"""Rows for evaluation tests: subjects, credit records, list entries and commitments, inserted directly.

Kept private to the evaluation tests (the records and lists contexts have their own services);
they only need the columns the evaluation engine reads.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.models import Commitment
from backend.lists.models import ListEntry
from backend.records.models import CreditRecord
from backend.staff.models import Department, OrgType
from backend.subjects.models import Subject

_seq = itertools.count(1)


def department(db: Session) -> Department:
    dept = db.execute(select(Department).where(Department.code == "EVAL-TEST")).scalar()
    if dept is None:
        dept = Department(code="EVAL-TEST", name="评价测试部门", short_name="评价测试", org_type=OrgType.GOVERNMENT)
        db.add(dept)
        db.flush()
    return dept


def subject(db: Session, kind: str = "firm") -> Subject:
    s = Subject(kind=kind)
    db.add(s)
    db.flush()
    return s


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
    n = next(_seq)
    rec = CreditRecord(
        subject_id=subj.id, kind=kind, polarity=polarity, department_id=department(db).id,
        decision_no=f"淮区测〔2026〕{n}号", decision_date=decided, title=title, severity=severity,
        publicity_start=decided, publish_deadline=decided + timedelta(days=9),
        publicity_min_end=decided + timedelta(days=min_days) if min_days is not None else None,
        publicity_max_end=decided + timedelta(days=max_days) if max_days is not None else None,
        rule_version="test", status=status, is_current=is_current,
    )
    db.add(rec)
    db.flush()
    return rec


def listing(
    db: Session,
    subj: Subject,
    list_type: str = "red",
    *,
    status: str = "active",
    listed: date = date(2026, 1, 1),
    expires: date | None = None,
) -> ListEntry:
    entry = ListEntry(
        subject_id=subj.id, list_type=list_type, department_id=department(db).id, reason="测试",
        listed_on=listed, expires_on=expires, status=status,
    )
    db.add(entry)
    db.flush()
    return entry


def commitment(
    db: Session,
    subj: Subject,
    *,
    status: str = "kept",
    signed: date = date(2025, 6, 1),
    closed: date | None = date(2025, 12, 1),
    commitment_type: str = "disclosure",
) -> Commitment:
    c = Commitment(
        subject_id=subj.id, type=commitment_type, department_id=department(db).id, matter="测试承诺事项",
        content="测试承诺内容", signed_on=signed, status=status, closed_on=closed if status != "active" else None,
    )
    db.add(c)
    db.flush()
    return c

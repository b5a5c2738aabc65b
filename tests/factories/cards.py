"""Arrange data for the credit card tests: persons, firms, accounts, records and list entries.

Private to tests/test_card*.py. Subjects go through the subjects services (real encryption, blind
index); records and list entries are inserted directly with the columns the card reads.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM
from backend.common.ids import make_resident_id, make_uscc
from backend.lists.models import ListEntry
from backend.records.models import CreditRecord
from backend.staff.models import Department
from backend.subjects.models import AgencyStatus, FirmAgency
from backend.subjects.services import register_firm, register_person
from tests.factories import account_headers, make_account, make_department

_seq = itertools.count(1)
TODAY = date.today()


def person(db: Session, name: str = "张三丰"):
    n = next(_seq)
    number = make_resident_id("320803", date(1980, 1, 1) + timedelta(days=n * 37), n % 1000)
    return register_person(db, SYSTEM, id_number=number, name=name)


def firm(db: Session, legal_rep=None, name: str = "淮安区测试商贸有限公司"):
    n = next(_seq)
    uscc = make_uscc("91", "320803", f"MA{n:06d}")
    return register_firm(db, SYSTEM, uscc=uscc, name=name, legal_rep=legal_rep)


def bound_account(db: Session, person_=None):
    """An account bound (实名) to ``person_`` (a new person if None)."""
    p = person_ or person(db)
    return make_account(db, person_id=p.id, identity_level="self_declared"), p


def headers(app, account) -> dict[str, str]:
    return account_headers(app, account)


def approve_agent(db: Session, firm_, account, person_):
    agency = FirmAgency(firm_id=firm_.id, account_id=account.id, person_id=person_.id, status=AgencyStatus.APPROVED)
    db.add(agency)
    db.flush()
    return agency


def department(db: Session):
    dept = db.execute(select(Department).where(Department.code == "CARD-TEST")).scalar()
    return dept or make_department(db, code="CARD-TEST", short_name="区市场监管局测试")


def record(db: Session, subject_id: int, kind: str = "admin_penalty", *, polarity: str = "negative",
           severity: str | None = "general", status: str = "publicizing", days_ago: int = 30,
           title: str = "未按规定公示年度报告", max_days: int | None = 365) -> CreditRecord:
    n = next(_seq)
    decided = TODAY - timedelta(days=days_ago)
    rec = CreditRecord(
        subject_id=subject_id, kind=kind, polarity=polarity, department_id=department(db).id,
        decision_no=f"淮区市监罚〔2026〕{n}号", decision_date=decided, title=title, severity=severity,
        publicity_start=decided, publish_deadline=decided + timedelta(days=9),
        publicity_min_end=decided + timedelta(days=90),
        publicity_max_end=decided + timedelta(days=max_days) if max_days is not None else None,
        rule_version="test", status=status,
    )
    db.add(rec)
    db.flush()
    return rec


def listing(db: Session, subject_id: int, list_type: str = "red", *, reason: str = "测试列入") -> ListEntry:
    entry = ListEntry(subject_id=subject_id, list_type=list_type, department_id=department(db).id, reason=reason,
                      listed_on=TODAY - timedelta(days=10), status="active")
    db.add(entry)
    db.flush()
    return entry


class StatementCounter:
    """Counts SQL statements on an engine (savepoint bookkeeping of the test harness excluded)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _on(self, conn, cursor, statement, parameters, context, executemany):
        s = statement.strip().upper()
        if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)

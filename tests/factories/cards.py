"""Arrange data for the credit card tests (tests/cards/): persons, firms, accounts, records and list entries.

Built on the per-context factories; records and list entries are dated relative to today (a card
shows what is in force now) and come from one test department, 区市场监管局测试.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.lists.models import ListEntry
from backend.records.models import CreditRecord
from backend.staff.models import Department
from tests.factories.lists import make_listing
from tests.factories.records import make_record
from tests.factories.staff import department_named
from tests.factories.subjects import account_headers, approve_agent, bound_account, make_firm, make_person

__all__ = ["StatementCounter", "approve_agent", "bound_account", "department", "firm", "headers", "listing",
           "person", "record"]

TODAY = date.today()


def person(db: Session, name: str = "张三丰"):
    return make_person(db, name=name)


def firm(db: Session, legal_rep=None, name: str = "淮安区测试商贸有限公司"):
    return make_firm(db, name=name, legal_rep=legal_rep)


headers = account_headers


def department(db: Session) -> Department:
    return department_named(db, "CARD-TEST", short_name="区市场监管局测试")


def record(db: Session, subject_id: int, kind: str = "admin_penalty", *, polarity: str = "negative",
           severity: str | None = "general", status: str = "publicizing", days_ago: int = 30,
           title: str = "未按规定公示年度报告", max_days: int | None = 365) -> CreditRecord:
    return make_record(db, subject_id, kind, department_id=department(db).id, decided=TODAY - timedelta(days=days_ago),
                       polarity=polarity, severity=severity, status=status, title=title, max_days=max_days,
                       decision_prefix="淮区市监罚")


def listing(db: Session, subject_id: int, list_type: str = "red", *, reason: str = "测试列入") -> ListEntry:
    return make_listing(db, subject_id, list_type, department_id=department(db).id,
                        listed=TODAY - timedelta(days=10), reason=reason)


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

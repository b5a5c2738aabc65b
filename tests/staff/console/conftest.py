"""Fixtures of the console tests: a department with its reviewer, the credit office, an auditor, a firm."""

from __future__ import annotations

import pytest

from backend.common.actor import Actor
from backend.staff.models import OrgType, Role
from backend.subjects.agency import request_agency
from tests.factories import make_account, make_department, make_firm, make_person, make_staff


@pytest.fixture
def dept(db):
    return make_department(db, record_kinds=["admin_penalty", "admin_license"], short_name="测试局")


@pytest.fixture
def reviewer(db, dept):
    return make_staff(db, Role.DEPT_REVIEWER, dept, username="dept.reviewer", display_name="王审核")


@pytest.fixture
def office(db):
    return make_department(db, OrgType.CREDIT_OFFICE, short_name="信用办")


@pytest.fixture
def admin(db, office):
    return make_staff(db, Role.CREDIT_ADMIN, office, username="office.admin", display_name="李管理")


@pytest.fixture
def auditor(db, office):
    return make_staff(db, Role.AUDITOR, office, username="office.auditor", display_name="赵审计")


@pytest.fixture
def firm(db):
    return make_firm(db, name="淮安区控制台测试有限公司", legal_rep=make_person(db, name="周法人"))


def make_agency(db, firm, name: str = "陈经办"):
    """A pending firm-agency request, filed through the mini-program's service."""
    person = make_person(db, name=name)
    account = make_account(db, person_id=person.id, identity_level="self_declared")
    agency = request_agency(db, Actor("account", account.id), uscc=firm.uscc, note="本人为公司财务负责人")
    db.flush()
    return agency


@pytest.fixture
def agency(db, firm):
    return make_agency(db, firm)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # The browser tests take a screenshot when a test failed: they read the outcome from the item.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

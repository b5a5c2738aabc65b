"""Dates stored on list entries and commitments lie between 1949-10-01 and today + 30 years.

Year 0001 and 9999 were accepted: a typo that kept an entry listed for ever, or dated a commitment
before any government that could take it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.common.clock import china_today
from backend.common.fields import EARLIEST_DATE, latest_date
from backend.staff.models import Role
from tests.factories import make_firm, make_staff, seeded_department, staff_headers

TODAY = china_today()


@pytest.fixture
def setup(app, db):
    firm = make_firm(db)
    admin = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW")))
    reviewer = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG")))
    db.commit()
    return firm, admin, reviewer


def _listing(firm, **over):
    return {"subject_code": firm.uscc, "list_type": "red", "reason": "守信激励",
            "listed_on": (TODAY - timedelta(days=10)).isoformat(), **over}


def _commitment(firm, **over):
    return {"subject_code": firm.uscc, "type": "disclosure", "matter": "守法诚信经营承诺", "content": "依法诚信经营。",
            "signed_on": (TODAY - timedelta(days=30)).isoformat(),
            "valid_until": (TODAY + timedelta(days=335)).isoformat(), **over}


@pytest.mark.parametrize(("field", "value"), [
    ("listed_on", "0001-01-01"), ("listed_on", "1949-09-30"), ("expires_on", "9999-12-31"),
    ("expires_on", (latest_date() + timedelta(days=1)).isoformat()),
])
def test_a_list_entry_outside_the_plausible_range_is_refused(client, setup, field, value):
    firm, admin, _ = setup
    resp = client.post("/staff/v1/lists", headers=admin, json=_listing(firm, **{field: value}))
    assert resp.status_code == 422, resp.json
    assert "1949年10月1日" in resp.json["errors"][field][0]


@pytest.mark.parametrize(("field", "value"), [
    ("signed_on", "0001-01-01"), ("valid_until", "9999-12-31"),
])
def test_a_commitment_outside_the_plausible_range_is_refused(client, setup, field, value):
    firm, _, reviewer = setup
    resp = client.post("/staff/v1/commitments", headers=reviewer, json=_commitment(firm, **{field: value}))
    assert resp.status_code == 422, resp.json
    assert "1949年10月1日" in resp.json["errors"][field][0]


def test_the_bounds_themselves_are_accepted(client, setup):
    firm, admin, reviewer = setup
    resp = client.post("/staff/v1/lists", headers=admin, json=_listing(
        firm, listed_on=EARLIEST_DATE.isoformat(), expires_on=latest_date().isoformat()))
    assert resp.status_code == 201, resp.json
    resp = client.post("/staff/v1/commitments", headers=reviewer, json=_commitment(
        firm, valid_until=latest_date().isoformat()))
    assert resp.status_code == 201, resp.json


def test_latest_date_is_thirty_years_ahead_even_from_a_leap_day():
    assert latest_date(date(2028, 2, 29)) == date(2058, 2, 28)
    assert latest_date(date(2026, 12, 1)) == date(2056, 12, 1)

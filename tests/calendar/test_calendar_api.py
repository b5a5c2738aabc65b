"""Staff API and CLI of the working-day calendar: read a year, edit exceptions, try deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.calendar.models import CalendarDay
from backend.common.models import AuditEntry
from backend.staff.models import Department, Role, StaffUser
from tests.factories import staff_headers

ERROR_KEYS = {"code", "status", "message", "reason", "errors"}


def _staff(app, db, role: Role, username: str) -> dict[str, str]:
    dept = db.execute(select(Department).where(Department.code == "FGW")).scalar_one()
    user = StaffUser(username=username, display_name="测试", password_hash="x", role=role, department_id=dept.id)
    db.add(user)
    db.flush()
    return staff_headers(app, user)


@pytest.fixture
def admin(app, db):
    return _staff(app, db, Role.CREDIT_ADMIN, "cal-admin")


@pytest.fixture
def reviewer(app, db):
    return _staff(app, db, Role.DEPT_REVIEWER, "cal-reviewer")


def _audit_rows(db, action: str) -> list[AuditEntry]:
    return db.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def test_year_with_entries(client, reviewer):
    resp = client.get("/staff/v1/calendar?year=2026", headers=reviewer)
    assert resp.status_code == 200
    body = resp.json
    assert body["has_entries"] is True and body["warning"] is None
    days = {e["day"]: e for e in body["entries"]}
    assert days["2026-10-01"]["is_workday"] is False and days["2026-10-01"]["name"] == "国庆节"
    assert days["2026-10-10"] == {**days["2026-10-10"], "is_workday": True, "name": "国庆节调休上班",
                                  "weekday": "周六", "source": "chinesecalendar"}
    assert days["2026-02-16"]["name"] == "春节"
    assert "2026-02-15" not in days  # a Sunday holiday is not an exception to the weekend rule
    assert body["holidays"] + body["makeup_workdays"] == len(body["entries"])


def test_year_without_entries_shows_provisional_statutory_holidays(client, reviewer):
    # Issue 9 item 5 (changed on purpose: the year used to be empty, weekends only). For a year
    # without a State Council notice, 《全国年节及纪念日放假办法》（2024年修订）'s days are derived and
    # marked provisional: 元旦 1, 春节 4 from 除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3.
    resp = client.get("/staff/v1/calendar?year=2027", headers=reviewer)
    assert resp.status_code == 200
    body = resp.json
    assert body["has_entries"] is False and body["provisional"] is True
    assert "2027年" in body["warning"] and "暂定" in body["warning"]
    days = {e["day"]: e for e in body["entries"]}
    assert all(e["provisional"] and e["source"] == "provisional" and not e["is_workday"] for e in days.values())
    # weekday holidays only (02-06 / 02-07 and 05-01 / 10-02 / 10-03 fall on weekends)
    assert sorted(days) == ["2027-01-01", "2027-02-05", "2027-02-08", "2027-04-05", "2027-06-09",
                            "2027-09-15", "2027-10-01"]
    assert days["2027-02-05"]["name"] == "春节" and days["2027-06-09"]["name"] == "端午节"
    assert days["2027-09-15"]["name"] == "中秋节" and days["2027-04-05"]["name"] == "清明节"
    one = client.get("/staff/v1/calendar/2027-01-01", headers=reviewer).json
    assert one == {**one, "is_workday": False, "provisional": True, "name": "元旦"}


@pytest.mark.parametrize("query", ["year=abc", "year=1800", "year=99999"])
def test_bad_year_is_422(client, reviewer, query):
    resp = client.get(f"/staff/v1/calendar?{query}", headers=reviewer)
    assert resp.status_code == 422
    assert set(resp.json) == ERROR_KEYS


def test_calendar_needs_a_staff_login(client):
    assert client.get("/staff/v1/calendar?year=2026").status_code == 401
    assert client.get("/staff/v1/calendar/add-working-days?from=2026-12-28&days=10").status_code == 401
    resp = client.put("/staff/v1/calendar/2027-01-01", json={"is_workday": False, "name": "元旦"})
    assert resp.status_code == 401


def test_admin_enters_2027_and_deadlines_follow(client, db, admin):
    resp = client.get("/staff/v1/calendar/add-working-days?from=2026-12-28&days=10", headers=admin)
    assert resp.status_code == 200
    assert resp.json["result"] == "2027-01-12"  # the derived 元旦 already counts (issue 9 item 5)
    assert resp.json["missing_years"] == [2027]
    assert "2027年尚未录入节假日安排" in resp.json["warning"]

    resp = client.put("/staff/v1/calendar/2027-01-01", json={"is_workday": False, "name": "元旦"}, headers=admin)
    assert resp.status_code == 200
    assert resp.json["day"] == "2027-01-01" and resp.json["source"] == "staff" and resp.json["weekday"] == "周五"

    resp = client.get("/staff/v1/calendar/add-working-days?from=2026-12-28&days=10", headers=admin)
    assert resp.json == {**resp.json, "from": "2026-12-28", "days": 10, "result": "2027-01-12",
                         "result_weekday": "周二", "missing_years": [], "warning": None}
    year = client.get("/staff/v1/calendar?year=2027", headers=admin).json
    assert year["has_entries"] is True and [e["day"] for e in year["entries"]] == ["2027-01-01"]

    entry = db.get(CalendarDay, date(2027, 1, 1))
    assert entry.updated_by_id is not None
    (row,) = _audit_rows(db, "calendar.set")
    assert row.target_id == "2027-01-01" and row.details["name"] == "元旦" and row.details["before"] is None


def test_admin_corrects_a_seeded_day_then_deletes_it(client, db, admin):
    resp = client.put("/staff/v1/calendar/2026-10-10", json={"is_workday": False, "name": "国庆节"}, headers=admin)
    assert resp.status_code == 200
    info = client.get("/staff/v1/calendar/2026-10-10", headers=admin).json
    assert info == {**info, "is_workday": False, "source": "staff", "is_exception": True}

    resp = client.delete("/staff/v1/calendar/2026-10-10", headers=admin)
    assert resp.status_code == 204
    info = client.get("/staff/v1/calendar/2026-10-10", headers=admin).json
    assert info == {**info, "is_workday": False, "is_exception": False, "name": None}  # a plain Saturday
    (deleted,) = _audit_rows(db, "calendar.delete")
    assert deleted.details["before"] == {"is_workday": False, "name": "国庆节", "source": "staff"}
    (changed,) = _audit_rows(db, "calendar.set")
    assert changed.details["before"]["source"] == "chinesecalendar"


def test_deleting_a_day_without_entry_is_404(client, admin):
    resp = client.delete("/staff/v1/calendar/2027-03-03", headers=admin)
    assert resp.status_code == 404
    assert resp.json["reason"] == "calendar_day_not_found"


def test_only_credit_admin_may_edit(client, db, reviewer):
    resp = client.put("/staff/v1/calendar/2027-01-01", json={"is_workday": False, "name": "元旦"}, headers=reviewer)
    assert resp.status_code == 403
    assert resp.json["reason"] == "role_forbidden"
    assert client.delete("/staff/v1/calendar/2026-10-01", headers=reviewer).status_code == 403
    assert db.get(CalendarDay, date(2027, 1, 1)) is None
    assert db.get(CalendarDay, date(2026, 10, 1)) is not None


@pytest.mark.parametrize("bad", ["2027-13-01", "2027-02-30", "tomorrow", "20270101", "1899-01-01", "2027-1-1"])
def test_bad_date_in_path_is_invalid_date(client, admin, bad):
    for resp in (
        client.put(f"/staff/v1/calendar/{bad}", json={"is_workday": False, "name": "元旦"}, headers=admin),
        client.delete(f"/staff/v1/calendar/{bad}", headers=admin),
        client.get(f"/staff/v1/calendar/{bad}", headers=admin),
    ):
        assert resp.status_code == 422
        assert set(resp.json) == ERROR_KEYS
        assert resp.json["reason"] == "invalid_date"


@pytest.mark.parametrize("body", [{}, {"is_workday": False}, {"is_workday": "maybe", "name": "元旦"},
                                  {"is_workday": False, "name": ""}, {"is_workday": False, "name": "节" * 41},
                                  {"is_workday": False, "name": "   "}])
def test_bad_body_is_422(client, admin, body):
    resp = client.put("/staff/v1/calendar/2027-01-01", json=body, headers=admin)
    assert resp.status_code == 422
    assert set(resp.json) == ERROR_KEYS


def test_put_without_json_is_4xx(client, admin):
    resp = client.put("/staff/v1/calendar/2027-01-01", data="not json", headers=admin)
    assert 400 <= resp.status_code < 500
    assert set(resp.json) == ERROR_KEYS


@pytest.mark.parametrize("query,reason", [
    ("from=2026-02-30&days=3", "invalid_date"),
    ("from=abc&days=3", "invalid_date"),
    ("days=3", "validation_failed"),
    ("from=2026-12-28", "validation_failed"),
    ("from=2026-12-28&days=-1", "validation_failed"),
    ("from=2026-12-28&days=ten", "validation_failed"),
    ("from=2026-12-28&days=99999", "validation_failed"),
])
def test_bad_add_working_days_query_is_422(client, reviewer, query, reason):
    resp = client.get(f"/staff/v1/calendar/add-working-days?{query}", headers=reviewer)
    assert resp.status_code == 422
    assert set(resp.json) == ERROR_KEYS
    assert resp.json["reason"] == reason


def test_add_working_days_over_national_day(client, reviewer):
    resp = client.get("/staff/v1/calendar/add-working-days?from=2026-09-24&days=7", headers=reviewer)
    assert resp.json["result"] == "2026-10-12" and resp.json["warning"] is None
    resp = client.get("/staff/v1/calendar/add-working-days?from=2026-10-01&days=0", headers=reviewer)
    assert resp.json["result"] == "2026-10-01"

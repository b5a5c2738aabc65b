"""Administration pages: staff accounts, departments, calendar, audit log and chain check."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from backend.calendar.models import CalendarDay
from backend.common.models import AuditEntry
from backend.staff.models import StaffUser
from tests.staff.console.helpers import login, post, text


def test_admin_creates_an_account_with_field_errors_first(client, db, admin, dept):
    db.flush()
    login(client, "office.admin")
    body = {"username": "New User!", "display_name": "新同事", "role": "dept_reviewer", "department": dept.code,
            "password": "Welcome2026abc"}
    resp = post(client, "/staff/admin/staff", body, page="/staff/admin/staff")
    assert resp.status_code == 422 and 'id="err-username"' in text(resp) and 'value="新同事"' in text(resp)
    resp = post(client, "/staff/admin/staff", {**body, "username": "new.user", "password": "short"}, page="/staff/admin/staff")
    assert resp.status_code == 422 and "至少需要10位" in text(resp)
    resp = post(client, "/staff/admin/staff", {**body, "username": "new.user"}, page="/staff/admin/staff")
    assert resp.status_code == 303
    user = db.execute(select(StaffUser).where(StaffUser.username == "new.user")).scalar_one()
    assert user.department_id == dept.id and "new.user" in text(client.get("/staff/admin/staff"))


def test_calendar_view_and_edit(client, app, db, admin, reviewer):
    db.flush()
    login(client, "office.admin")
    assert "工作日历 · 2031年" in text(client.get("/staff/admin/calendar", query_string={"year": "2031"}))
    assert client.get("/staff/admin/calendar", query_string={"year": "abc"}).status_code == 200
    resp = post(client, "/staff/admin/calendar/day", {"day": "2031-10-01", "is_workday": "0", "name": ""},
                page="/staff/admin/calendar")
    assert resp.status_code == 422 and 'id="err-name"' in text(resp)
    resp = post(client, "/staff/admin/calendar/day", {"day": "2031-02-30", "is_workday": "0", "name": "国庆节"},
                page="/staff/admin/calendar")
    assert resp.status_code == 422 and 'id="err-day"' in text(resp) and 'value="国庆节"' in text(resp)
    resp = post(client, "/staff/admin/calendar/day", {"day": "2031-10-01", "is_workday": "0", "name": "国庆节"},
                page="/staff/admin/calendar")
    assert resp.status_code == 303
    assert db.get(CalendarDay, date(2031, 10, 1)).name == "国庆节"
    reviewer_client = app.test_client()
    login(reviewer_client, "dept.reviewer")
    assert "国庆节" in text(reviewer_client.get("/staff/admin/calendar", query_string={"year": "2031"}))
    assert post(reviewer_client, "/staff/admin/calendar/day", {"day": "2031-10-02", "name": "x"}).status_code == 403


def test_auditor_searches_the_log_and_checks_the_chain(client, db, auditor, admin):
    db.flush()
    other = client.application.test_client()
    login(other, "office.admin")
    login(client, "office.auditor")
    page = text(client.get("/staff/audit", query_string={"action": "staff.login"}))
    assert "staff.login" in page and "李管理（信用办管理员）" in page
    only_admin = text(client.get("/staff/audit", query_string={"actor": f"staff:{admin.id}"}))
    assert f"staff_user {admin.id}" in only_admin
    assert client.get("/staff/audit", query_string={"from": "2026-99-01"}).status_code == 422
    # the last date there is, as an open end (it overflowed into year 10000: a 500)
    resp = client.get("/staff/audit", query_string={"action": "staff.login", "from": "0001-01-01", "to": "9999-12-31"})
    assert resp.status_code == 200 and "李管理（信用办管理员）" in text(resp)
    assert "李管理（信用办管理员）" not in text(client.get("/staff/audit", query_string={"action": "staff.login",
                                                                                   "to": "2000-01-01"}))
    resp = post(client, "/staff/audit/verify", page="/staff/audit")
    assert resp.status_code == 200 and "日志链完整" in text(resp)
    # Someone alters a row behind the application's back: the check finds it and shows the row.
    row = db.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    db.execute(update(AuditEntry).where(AuditEntry.id == row.id).values(action="staff.tampered"))
    db.flush()
    resp = post(client, "/staff/audit/verify", page="/staff/audit")
    html = text(resp)
    assert f"第 {row.id} 条" in html and "staff.tampered" in html


def test_departments_page_for_the_office(client, db, admin, reviewer):
    db.flush()
    login(client, "office.admin")
    assert "测试局" in text(client.get("/staff/admin/departments"))
    post(client, "/staff/logout")
    login(client, "dept.reviewer")
    assert client.get("/staff/admin/departments").status_code == 403

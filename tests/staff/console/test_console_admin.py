"""Administration pages: staff accounts, departments, calendar, audit log and chain check."""

from __future__ import annotations

import io
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


def _notice(client, data, **kwargs):
    return post(client, "/staff/admin/calendar/notice", data, page="/staff/admin/calendar",
                content_type="multipart/form-data", **kwargs)


def test_a_years_notice_is_imported_as_a_table_with_refused_rows_shown_and_the_input_kept(client, app, db, admin,
                                                                                         reviewer):
    db.flush()
    login(client, "office.admin")
    before = text(client.get("/staff/admin/calendar", query_string={"year": "2031"}))
    assert 'id="year-provisional"' in before and "推算（暂定）" in before  # no notice yet: derived days
    bad = "日期\t类型\t名称\n2031-01-01\t放假\t元旦\n2031-02-30\t放假\t春节\n2031-01-26\t休假\t春节调休\n"
    resp = _notice(client, {"year": "2031", "paste": bad})
    page = text(resp)
    assert resp.status_code == 422 and 'id="notice-refused"' in page
    assert "整份通知未录入" in page and "日期应写作“2027-01-01”" in page and "类型应为“放假”或“上班”" in page
    assert "2031-02-30" in page and "休假" in page  # the refused rows, as typed
    assert "2031-01-01\t放假\t元旦" in page  # the pasted table is kept to be fixed
    assert db.execute(select(CalendarDay).where(CalendarDay.day == date(2031, 1, 1))).scalar() is None
    good = "2031-01-01\t放假\t元旦\n2031-01-25\t上班\t春节调休上班\n2031-01-27\t放假\t春节\n"
    resp = _notice(client, {"year": "2031", "paste": good})
    assert resp.status_code == 303
    after = text(client.get("/staff/admin/calendar", query_string={"year": "2031"}))
    assert "已录入2031年放假通知：2天放假、1天调休上班" in after and 'id="year-provisional"' not in after
    assert db.get(CalendarDay, date(2031, 1, 25)).is_workday is True
    assert [e.action for e in db.execute(select(AuditEntry).where(AuditEntry.action == "calendar.notice")).scalars()]
    # A CSV file with a bad row comes back as text in the box, the rows named.
    csv = "日期,类型,名称\n2032-01-01,放假,元旦\n2033-05-01,放假,劳动节\n".encode()
    resp = _notice(client, {"year": "2032", "file": (io.BytesIO(csv), "2032.csv")})
    assert resp.status_code == 422 and "日期不在2032年内" in text(resp) and "2033-05-01\t放假\t劳动节" in text(resp)
    resp = _notice(client, {"year": "20x2", "paste": good})
    assert resp.status_code == 422 and "年份应为2000至2100之间的数字" in text(resp)
    resp = _notice(client, {"year": "2032", "file": (io.BytesIO(b"\x00\x01garbage"), "notice.xlsx")})
    assert resp.status_code == 422 and "无法读取该 Excel 文件" in text(resp)
    # Department staff see the calendar, not the form; a forged POST is refused.
    other = app.test_client()
    login(other, "dept.reviewer")
    assert 'id="notice-form"' not in text(other.get("/staff/admin/calendar", query_string={"year": "2031"}))
    assert _notice(other, {"year": "2031", "paste": good}).status_code == 403

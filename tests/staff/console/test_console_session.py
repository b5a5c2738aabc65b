"""Console sessions: login through the staff login service, cookie flags, idle expiry, revocation,
forced change of a development password, CSRF, and the security headers."""

from __future__ import annotations

import time

from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.staff.models import Role, StaffUser
from tests.factories import STAFF_PASSWORD, make_staff, staff_headers
from tests.staff.console.helpers import login, post, text


def test_login_lands_on_the_dashboard_and_logout_ends_it(client, db, reviewer):
    db.flush()
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    resp = login(client, "Dept.Reviewer ")  # the login service normalises the name
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200 and "工作台" in text(page) and "部门审核员" in text(page)
    assert post(client, "/staff/logout").status_code == 303
    assert client.get("/staff/").status_code == 302


def test_wrong_password_keeps_the_username_and_slows_further_tries(client, db, reviewer):
    """The console logs in through the staff API's login: wrong passwords are answered like an
    unknown name, and after three of them the same name from the same client must wait (no lockout
    an outsider could trigger); the page keeps what was typed."""
    db.flush()
    for _ in range(3):
        resp = login(client, "dept.reviewer", "wrong-password-1")
        assert resp.status_code == 401
        assert "用户名或密码错误" in text(resp) and 'value="dept.reviewer"' in text(resp)
    resp = login(client, "dept.reviewer", "wrong-password-1")
    assert resp.status_code == 429 and "秒后再试" in text(resp) and int(resp.headers["Retry-After"]) > 0
    assert 'value="dept.reviewer"' in text(resp)
    # The failures were committed although the requests were refused: during the wait even the
    # right password is not checked.
    assert login(client, "dept.reviewer").status_code == 429
    fails = db.execute(select(AuditEntry).where(AuditEntry.action == "staff.login_failed")).scalars().all()
    assert len(fails) >= 4


def test_login_redirects_only_inside_the_console(client, db, reviewer):
    db.flush()
    assert login(client, "dept.reviewer", next="/staff/records").headers["Location"] == "/staff/records"
    post(client, "/staff/logout")
    assert login(client, "dept.reviewer", next="https://evil.example/").headers["Location"] == "/staff/"
    post(client, "/staff/logout")
    assert login(client, "dept.reviewer", next="//evil.example/staff/").headers["Location"] == "/staff/"


def test_cookie_is_httponly_samesite_and_secure_off_localhost(app, db, reviewer):
    db.flush()
    local = app.test_client()
    cookie = local.get("/staff/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and cookie.startswith("staff_console=")
    assert "Secure" not in cookie  # http://localhost: the developer's own machine
    remote = app.test_client()
    cookie = remote.get("/staff/login", base_url="http://credit.intranet.example").headers["Set-Cookie"]
    assert "Secure" in cookie
    cookie = app.test_client().get("/staff/login", base_url="https://credit.intranet.example").headers["Set-Cookie"]
    assert "Secure" in cookie


def test_session_expires_after_idle_minutes(client, db, reviewer, app):
    db.flush()
    login(client, "dept.reviewer")
    assert client.get("/staff/").status_code == 200
    idle = app.config["STAFF_CONSOLE_IDLE_MINUTES"]
    assert idle == 30
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - idle * 60 - 5
    resp = client.get("/staff/", follow_redirects=True)
    assert resp.request.path == "/staff/login", text(resp)
    assert "超过30分钟未操作" in text(resp), text(resp)
    assert client.get("/staff/").status_code == 302  # the session is gone, not just paused


def test_deactivation_ends_the_session_at_once(client, db, reviewer, admin):
    db.flush()
    login(client, "dept.reviewer")
    assert client.get("/staff/").status_code == 200
    other = client.application.test_client()
    login(other, "office.admin")
    assert post(other, f"/staff/admin/staff/{reviewer.id}/deactivate").status_code == 303
    resp = client.get("/staff/")
    assert resp.status_code == 302 and "登录已失效" in text(client.get("/staff/login"))


def test_password_change_keeps_this_session_and_ends_the_others(client, app, db, reviewer):
    db.flush()
    login(client, "dept.reviewer")
    elsewhere = app.test_client()
    login(elsewhere, "dept.reviewer")
    old_api = staff_headers(app, reviewer)
    resp = post(client, "/staff/password", {"current_password": STAFF_PASSWORD, "new_password": "NewSecret2026x",
                                            "new_password2": "NewSecret2026x"}, page="/staff/password")
    assert resp.status_code == 303
    assert client.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302
    assert client.get("/staff/v1/auth/me", headers=old_api).status_code == 401


def test_password_form_errors_are_in_chinese_next_to_the_field(client, db, reviewer):
    db.flush()
    login(client, "dept.reviewer")
    resp = post(client, "/staff/password", {"current_password": "not-it-1234", "new_password": "NewSecret2026x",
                                            "new_password2": "NewSecret2026x"}, page="/staff/password")
    assert resp.status_code == 422 and 'id="err-current_password"' in text(resp) and "当前密码不正确" in text(resp)
    resp = post(client, "/staff/password", {"current_password": STAFF_PASSWORD, "new_password": "short",
                                            "new_password2": "short"}, page="/staff/password")
    assert resp.status_code == 422 and 'id="err-new_password"' in text(resp) and "至少需要10位" in text(resp)
    resp = post(client, "/staff/password", {"current_password": STAFF_PASSWORD, "new_password": "NewSecret2026x",
                                            "new_password2": "NewSecret2026y"}, page="/staff/password")
    assert resp.status_code == 422 and "两次输入的新密码不一致" in text(resp)


def test_a_development_password_must_be_changed_first(client, db, dept):
    make_staff(db, Role.DEPT_REVIEWER, dept, username="demo.like", password="reviewer-demo-2026")
    db.flush()
    assert login(client, "demo.like", "reviewer-demo-2026").status_code == 303
    resp = client.get("/staff/records")
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/password"
    assert "初始密码" in text(client.get("/staff/password"))
    resp = post(client, "/staff/password", {"current_password": "reviewer-demo-2026", "new_password": "admin-demo-2026",
                                            "new_password2": "admin-demo-2026"}, page="/staff/password")
    assert resp.status_code == 422 and "公开密码" in text(resp)
    resp = post(client, "/staff/password", {"current_password": "reviewer-demo-2026", "new_password": "MyOwnSecret99",
                                            "new_password2": "MyOwnSecret99"}, page="/staff/password")
    assert resp.status_code == 303
    assert client.get("/staff/records").status_code == 200


def test_posts_without_the_csrf_token_are_refused(client, db, reviewer, admin):
    db.flush()
    login(client, "office.admin")
    resp = client.post(f"/staff/admin/staff/{reviewer.id}/deactivate")
    assert resp.status_code == 400 and "安全校验码" in text(resp)
    resp = client.post(f"/staff/admin/staff/{reviewer.id}/deactivate", data={"csrf_token": "forged"})
    assert resp.status_code == 400
    assert db.get(StaffUser, reviewer.id).active
    # A login form posted from elsewhere has no token either.
    fresh = client.application.test_client()
    assert fresh.post("/staff/login", data={"username": "office.admin", "password": STAFF_PASSWORD}).status_code == 400


def test_json_api_keeps_bearer_tokens_without_csrf(client, app, db, admin):
    db.flush()
    resp = client.post("/staff/v1/auth/login", json={"username": "office.admin", "password": STAFF_PASSWORD})
    assert resp.status_code == 200 and resp.json["token"]


def test_security_headers_on_console_pages(client, db, reviewer):
    db.flush()
    for url in ("/staff/login", "/staff/static/console.css"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
    login(client, "dept.reviewer")
    page = client.get("/staff/")
    assert page.headers["Cache-Control"] == "no-store"
    html = text(page)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_roles_and_pages(client, db, reviewer, auditor):
    db.flush()
    login(client, "dept.reviewer")
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/admin/staff").status_code == 403
    assert "审计日志" not in text(client.get("/staff/"))
    post(client, "/staff/logout")
    login(client, "office.auditor")
    assert client.get("/staff/audit").status_code == 200
    assert client.get("/staff/records/new").status_code == 403


def test_idle_minutes_setting():
    import pytest
    from flask import Flask

    from backend.platform.config import ConfigError
    from backend.staff.console.web import idle_minutes

    app = Flask(__name__)
    assert idle_minutes(app) == 30
    app.config["STAFF_CONSOLE_IDLE_MINUTES"] = "15"
    assert idle_minutes(app) == 15
    for bad in ("abc", "0", "100000"):
        app.config["STAFF_CONSOLE_IDLE_MINUTES"] = bad
        with pytest.raises(ConfigError):
            idle_minutes(app)

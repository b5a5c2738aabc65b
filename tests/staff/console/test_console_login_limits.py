"""The console's login form is limited per IP on top of the per-account throttle, and wrong current
passwords on the password page count like failed logins — each with a plain Chinese page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.staff.login_throttle import FREE_FAILURES
from tests.staff.console.helpers import login, post, text

LOGINS = 4


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_LOGIN": f"{LOGINS} per minute"}


def test_logins_from_one_address_are_limited_whatever_the_names(app, client, db, admin):
    db.commit()
    answers = [login(client, f"guess.{n}", "Wrong-password-1") for n in range(LOGINS)]
    assert [r.status_code for r in answers] == [401] * LOGINS
    limited = login(client, "office.admin")  # even the right password: the address is over its limit
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "本机登录尝试过于频繁" in text(limited) and 'value="office.admin"' in text(limited)
    assert text(login(client, "no.such.user")).count("本机登录尝试过于频繁") == 1  # same page for any name
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.7.0.2"
    resp = login(elsewhere, "office.admin")
    assert resp.status_code == 303  # another address signs in as usual


def test_wrong_current_passwords_on_the_password_page_are_throttled(client, db, admin):
    db.commit()
    login(client, "office.admin")
    body = {"current_password": "Wrong-password-1", "new_password": "Brand-new-pass-42",
            "new_password2": "Brand-new-pass-42"}
    for _ in range(FREE_FAILURES):
        resp = post(client, "/staff/password", body, page="/staff/password")
        assert resp.status_code == 422 and "当前密码不正确" in text(resp)
    resp = post(client, "/staff/password", body, page="/staff/password")
    assert resp.status_code == 429 and "登录尝试过于频繁，请2秒后再试" in text(resp)
    assert int(resp.headers["Retry-After"]) >= 2 and 'id="err-current_password"' in text(resp)
    failed = db.execute(select(AuditEntry).where(AuditEntry.action == "staff.password_change_failed")).scalars()
    assert len(list(failed)) == FREE_FAILURES + 1

"""Staff login throttling: no username oracle, no lockout lever (issue 8 item 7).

These replace the lockout tests (5 failures → the *account* locked 15 minutes, 429 for existing
names only): that told outsiders which usernames exist and let anyone keep ``credit.admin`` locked.
Now failures slow down one (username, client) pair, alike for unknown and known names.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.staff.login_throttle import ALERT_AFTER, FREE_FAILURES
from backend.staff.models import Role
from tests.factories import STAFF_PASSWORD, make_staff, staff_headers

WRONG = "Wrong-password-1"


def _login(client, username, password=STAFF_PASSWORD, ip="10.0.0.1"):
    return client.post("/staff/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _answer(resp) -> tuple:
    # The message carries the wait; Retry-After is at least that, and at least what is left of the
    # shared login rate limit's window (backend.http.ratelimit sets the larger), which moves with the clock.
    return resp.status_code, resp.json["reason"], resp.json["message"]


def _waits(resp, seconds: int) -> bool:
    return (resp.status_code == 429 and resp.json["reason"] == "login_throttled"
            and f"请{seconds}秒后再试" in resp.json["message"] and int(resp.headers["Retry-After"]) >= seconds)


def _audit(db, action):
    return db.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_unknown_and_known_names_answer_alike_all_the_way(client, db):
    make_staff(db, Role.CREDIT_ADMIN, username="credit.admin")
    db.flush()
    known = [_answer(_login(client, "credit.admin", WRONG)) for _ in range(FREE_FAILURES + 2)]
    unknown = [_answer(_login(client, "credit.nobody", WRONG)) for _ in range(FREE_FAILURES + 2)]
    assert known == unknown
    assert known[0] == (401, "invalid_credentials", "用户名或密码错误。")
    assert known[FREE_FAILURES][0] == 429 and known[FREE_FAILURES][1] == "login_throttled"


def test_failures_slow_down_progressively_and_a_success_starts_again(client, db):
    make_staff(db, Role.AUDITOR, username="forgetful")
    db.flush()
    for _ in range(FREE_FAILURES):
        assert _login(client, "forgetful", WRONG).status_code == 401
    assert _waits(_login(client, "forgetful", WRONG), 2)
    time.sleep(2.05)
    assert _waits(_login(client, "forgetful", WRONG), 4)  # longer each time
    # While waiting even the right password is not checked (no guessing through the delay).
    waiting = _login(client, "forgetful")
    assert waiting.status_code == 429 and waiting.json["reason"] == "login_throttled"
    time.sleep(4.05)
    assert _login(client, "forgetful").status_code == 200
    for _ in range(FREE_FAILURES):  # the success forgot the failures
        assert _login(client, "forgetful", WRONG).status_code == 401


def test_an_outsider_cannot_lock_the_owner_out(app, client, db):
    user = make_staff(db, Role.CREDIT_ADMIN, username="credit.admin")
    working = staff_headers(app, user)
    db.flush()
    for _ in range(FREE_FAILURES + 5):
        _login(client, "credit.admin", WRONG, ip="203.0.113.9")
    assert _login(client, "credit.admin", ip="203.0.113.9").status_code == 429  # the outsider waits …
    assert _login(client, "credit.admin", ip="10.1.1.1").status_code == 200  # … the owner does not
    assert client.get("/staff/v1/auth/me", headers=working).status_code == 200  # nor their session


@pytest.mark.parametrize("username", ["credit.admin", "no.such.user"])
def test_sustained_attempts_alert_the_credit_office_once(client, db, username):
    user = make_staff(db, Role.CREDIT_ADMIN, username="credit.admin")
    db.flush()
    for n in range(ALERT_AFTER + 3):  # spread over many clients, as a botnet would
        _login(client, username, WRONG, ip=f"198.51.100.{n}")
    alerts = _audit(db, "staff.login_attack")
    assert len(alerts) == 1
    assert alerts[0].target_id == (str(user.id) if username == "credit.admin" else None)
    assert username not in str(alerts[0].details)  # a typed name may be anything: it is not stored


def _change(client, hdrs, current, ip="10.0.0.1"):
    return client.post("/staff/v1/auth/password", headers=hdrs, environ_base={"REMOTE_ADDR": ip},
                       json={"current_password": current, "new_password": "Brand-new-pass-42"})


def test_wrong_current_passwords_are_throttled_like_failed_logins(app, client, db):
    """A stolen session cannot guess the password through the password change faster than a login."""
    user = make_staff(db, Role.DEPT_REVIEWER, username="stolen.session")
    db.commit()
    hdrs = staff_headers(app, user)
    for _ in range(FREE_FAILURES):
        resp = _change(client, hdrs, WRONG)
        assert resp.status_code == 422 and resp.json["reason"] == "wrong_password"
    assert _waits(_change(client, hdrs, WRONG), 2)
    # While the pair waits, even the right password is not checked …
    right = _change(client, hdrs, STAFF_PASSWORD)
    assert right.status_code == 429 and right.json["reason"] == "login_throttled"
    # … and the login form of the same name and client shares the count.
    assert _login(client, "stolen.session").status_code == 429
    assert len(_audit(db, "staff.password_change_failed")) == FREE_FAILURES + 1  # kept despite the refusals
    time.sleep(2.05)
    assert _change(client, hdrs, STAFF_PASSWORD).status_code == 200


def test_no_one_may_choose_a_published_demo_password_through_the_api_either(app, client, db):
    """The demo accounts' passwords are in the README: the API refuses them as a new password, as the
    console does (one rule, in the service)."""
    from backend.staff.services import published_passwords

    user = make_staff(db, Role.DEPT_REVIEWER, username="wants.demo")
    db.commit()
    demo = sorted(published_passwords())[0]
    resp = client.post("/staff/v1/auth/password", headers=staff_headers(app, user),
                       json={"current_password": STAFF_PASSWORD, "new_password": demo})
    assert resp.status_code == 422 and resp.json["reason"] == "password_published"
    assert demo not in resp.get_data(as_text=True)

"""Signed-in walks over every console page and form with bad values: never a 5xx, always a Chinese page."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.http.test_bad_inputs import BAD_QUERY
from tests.staff.console.helpers import csrf_of, login

CHINESE = re.compile(r"[\u4e00-\u9fff]")
QUERY_KEYS = ("page", "per_page", "q", "state", "deadline", "sort", "mine", "from", "to", "year", "subject_code",
              "kind", "status", "actor", "action", "target_id", "next", "back")
FORM_VALUES = ["", "x" * 5000, "\u202e测试", "😀", "2026-02-30", "-1", "99999999999999999999", "a\u0000b"]
FORM_KEYS = ("username", "password", "current_password", "new_password", "new_password2", "display_name", "role",
             "department", "day", "name", "is_workday", "action", "outcome", "reason_choice", "reason_text",
             "valid_until", "subject_code", "kind", "severity", "decision_no", "decision_date", "title",
             "amount_yuan", "department_code", "reason")


def _console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.endpoint != "console.static":
            yield rule


def _path(rule, ids: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids.get(m.group(1), "1")), rule.rule)


@pytest.fixture
def ids(db, admin, dept, agency, office):
    db.flush()
    return {"kind": "agency", "item_id": agency.id, "user_id": 987654, "record_id": 987654, "batch_id": 987654,
            "code": dept.code}


def _check(resp, label, problems):
    if resp.status_code >= 500:
        problems.append(f"{label} → {resp.status_code}")
    elif resp.status_code >= 400 and not CHINESE.search(resp.get_data(as_text=True)):
        problems.append(f"{label} → {resp.status_code} without a Chinese message")


def test_every_console_page_takes_bad_queries(app, client, ids):
    login(client, "office.admin")
    problems: list[str] = []
    for rule in _console_rules(app):
        if "GET" not in rule.methods or rule.endpoint == "console.logout":
            continue
        path = _path(rule, ids)
        for key in QUERY_KEYS:
            for bad in BAD_QUERY:
                _check(client.get(f"{path}?{key}={bad}"), f"GET {path}?{key}={bad[:20]}", problems)
    assert not problems, "\n".join(problems[:40])


def test_every_console_form_takes_bad_values(app, client, ids):
    login(client, "office.admin")
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    problems: list[str] = []
    for rule in _console_rules(app):
        if "POST" not in rule.methods or rule.endpoint in ("console.logout", "console.login"):
            continue
        path = _path(rule, ids)
        for bad in FORM_VALUES:
            data = {"csrf_token": token, "once": uuid.uuid4().hex, **{k: bad for k in FORM_KEYS}}
            resp = client.post(path, data=data)
            _check(resp, f"POST {path} all={bad[:12]!r}", problems)
            if resp.status_code in (302, 303) and "/staff/login" in resp.headers.get("Location", ""):
                login(client, "office.admin")  # a bad value may have changed the password: sign in again
                token = csrf_of(client.get("/staff/").get_data(as_text=True))
    assert not problems, "\n".join(problems[:40])

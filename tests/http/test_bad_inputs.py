"""Every route, every method, a fixed set of bad inputs: never a 5xx, every 4xx in our error shape.

Deterministic (no randomness): the same requests on every run. The demo district is loaded so that
ids like 1 exist and reads reach the services; writes aim at ids that do not exist, so the walk
does not deactivate the very staff user it logs in as. ``scripts/fuzz_api.py`` explores further.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from backend.common.ids import make_resident_id
from backend.staff.models import Role
from tests.factories import account_headers, make_account, make_staff, staff_headers

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ERROR_KEYS = {"code", "status", "message", "reason", "errors"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ABSENT_ID = "987654"
# Field values a person or a system gets wrong; sent with json.dumps(ensure_ascii=True), so the
# lone surrogate travels as the escape "\ud800", exactly as a client would send it.
BAD_VALUES = [None, "", "   ", "x" * 10_000, -1, 2**63, 1.5, True, [], {}, "abc", "2026-02-30", "yesterday",
              "\u202e测试", "😀👨‍👩‍👧", "ＡＢＣ１２３", "\ud800", "a\u0000b"]
BAD_QUERY = ["-1", "0", "abc", "1e9", "99999999999999999999", "2026-02-30", "yesterday", "%F0%9F%98%80",
             "%EF%BC%91", "%E2%80%AE1", "%FF%FE", "x" * 3000, "%00"]
BAD_INT_PATH = ["abc", "-1", "0", "1.5", "99999999999999999999", "%EF%BC%91"]
BAD_STR_PATH = ["%00", "x" * 3000, "%F0%9F%98%80", "%EF%BC%A1%EF%BC%A2", "%E2%80%AE12", "%FF%FE", "2026-02-30",
                "yesterday", "%20", "..", "-1", "99999999999999999999"]
BAD_AUTH = ["Bearer", "Bearer ", "Basic YTpi", "Bearer x.y.z", "Bearer " + "a" * 5000, "bearer \u00e9\u00e9"]
BAD_IDEMPOTENCY_KEYS = ["", " ", "x" * 500, "\u00e9t\u00e9", "a\tb", "../../etc"]
RAW_BODIES = [  # (body, content type)
    (b"{", "application/json"), (b"", "application/json"), (b"null", "application/json"),
    (b"[]", "application/json"), (b'"x"', "application/json"), (b"123", "application/json"),
    (b"\xff\xfe{", "application/json"), ('{"a": 1}'.encode("utf-16"), "application/json"),
    (b"[" * 100_000, "application/json"), (b'{"a": "\\ud800"}', "application/json"),
    (b'{"\\u0000": 1}', "application/json"), (b'{"a": 1}', "text/plain"), (b"a=1", "application/x-www-form-urlencoded"),
]


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": False}


# The staff web console (/staff/ outside /staff/v1) answers with Chinese HTML pages; routing errors
# (404, 405) are raised before the console is reached and keep the JSON shape.
CONSOLE_PAGE = re.compile(r"^/staff/(?!v1/)")


def problem_with(resp) -> str | None:
    if resp.status_code >= 500 and not (resp.status_code == 503 and _shaped(resp)):
        return "server error"
    if CONSOLE_PAGE.match(resp.request.path):
        if 400 <= resp.status_code < 500 and resp.request.method != "HEAD" and not _shaped(resp):
            if resp.mimetype != "text/html" or not CHINESE.search(resp.get_data(as_text=True)):
                return f"console page without a Chinese HTML answer ({resp.content_type})"
        return None
    if 400 <= resp.status_code < 600 and resp.request.method != "HEAD":  # HEAD: headers only, no body
        if not resp.is_json:
            return f"not JSON ({resp.content_type})"
        if not _shaped(resp):
            return f"not the error shape: {resp.get_data(as_text=True)[:200]}"
    return None


def _shaped(resp) -> bool:
    body = resp.get_json(silent=True)
    return (isinstance(body, dict) and set(body) == ERROR_KEYS and isinstance(body["reason"], str)
            and bool(body["reason"]) and bool(CHINESE.search(str(body["message"]))))


class Walk:
    def __init__(self, app, client, district, spec):
        self.app, self.client, self.district, self.spec = app, client, district, spec
        self.problems: list[str] = []
        self.sent = 0

    def send(self, method, path, label, **kwargs):
        who = "account" if path.startswith("/miniapp/") else "staff" if path.startswith("/staff/") else None
        headers = {**({} if who is None else self.district[who]), **kwargs.pop("headers", {})}
        resp = self.client.open(path, method=method, headers=headers, **kwargs)
        self.sent += 1
        problem = problem_with(resp)
        if problem:
            self.problems.append(f"{method} {path[:120]} [{label}] → {resp.status_code}: {problem}")
        return resp

    # --- the spec: parameters and request bodies -------------------------------------------

    def operation(self, rule: str, method: str) -> dict:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
        return self.spec["paths"].get(path, {}).get(method.lower(), {})

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def sample(self, name: str, schema: dict, depth: int = 0):
        """A plausible value for a field, so that one bad field at a time reaches as deep as it can."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return schema["enum"][0]
        kind, fmt, hints = schema.get("type"), schema.get("format"), _HINTS.get(name)
        if hints is not None:
            return self.district["uscc"] if hints == "uscc" else hints
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {k: self.sample(k, v, depth + 1) for k, v in props.items()} if depth < 3 else {}
        if kind == "array":
            return [self.sample(name, schema.get("items", {}), depth + 1)] if depth < 3 else []
        if kind == "integer" or kind == "number":
            return max(1, schema.get("minimum", 1))
        if kind == "boolean":
            return True
        return {"date": "2026-03-02", "date-time": "2026-03-02T08:00:00+08:00"}.get(fmt, "测试")

    def body_schema(self, rule, method) -> dict | None:
        content = self.operation(rule, method).get("requestBody", {}).get("content", {})
        return self.resolve(content["application/json"]["schema"]) if "application/json" in content else None


_HINTS = {"uscc": "uscc", "subject_code": "uscc", "decision_date": "2026-03-02", "kind": "admin_penalty",
          "severity": "general", "id_number": make_resident_id("320803", date(1980, 1, 1), 7), "name": "张三",
          "password": "Huaian2020credit!", "new_password": "Huaian2026credit!", "list_type": "red"}


def _path(walk: Walk, rule: str, method: str, override: tuple[str, str] | None = None) -> str:
    def value(m: re.Match) -> str:
        converter, name = (m.group(1) or "string"), m.group(2)
        if override and override[0] == name:
            return override[1]
        if converter.startswith("int"):
            return "1" if method == "GET" else ABSENT_ID
        hint = _HINTS.get(name)
        return walk.district["uscc"] if hint == "uscc" else hint or {"day": "2026-03-02"}.get(name, "abc")

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule)


def test_every_route_refuses_bad_input_plainly(app, client, district):
    """One walk over the whole url_map (the district is loaded once; ~1 s of the run)."""
    walk = Walk(app, client, district, client.get("/openapi.json").get_json())
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    assert len(rules) > 30  # the walk did find the API
    for rule_obj in rules:
        _walk_rule(walk, rule_obj)
    assert not walk.problems, f"{len(walk.problems)} of {walk.sent} requests:\n" + "\n".join(walk.problems[:60])


def _walk_rule(walk: Walk, rule_obj) -> None:
    rule = rule_obj.rule
    allowed = {m for m in rule_obj.methods if m in METHODS}
    adapter = walk.app.url_map.bind("localhost")
    for method in METHODS:
        if method not in allowed:
            path = _path(walk, rule, method)
            resp = walk.send(method, path, "method not allowed")
            if resp.status_code != 405 and _no_rule_takes(adapter, path, method):
                walk.problems.append(f"{method} {rule} answered {resp.status_code}, not 405")
    walk.send("OPTIONS", _path(walk, rule, "GET"), "options")
    for token in BAD_AUTH:
        walk.send(sorted(allowed)[0] if allowed else "GET", _path(walk, rule, "GET"), f"auth {token[:16]!r}",
                  headers={"Authorization": token})
    for method in sorted(allowed):
        _walk_path_params(walk, rule, rule_obj, method)
        _walk_query(walk, rule, method)
        if method != "GET":
            _walk_bodies(walk, rule, method)
        else:
            walk.send("HEAD", _path(walk, rule, method), "head")


def _walk_form(walk: Walk, rule: str, method: str, path: str) -> None:
    """Endpoints that take an upload: each form field bad in turn, with a file of every kind."""
    import io

    content = walk.operation(rule, method).get("requestBody", {}).get("content", {})
    schema = walk.resolve(content.get("multipart/form-data", {}))
    props = schema.get("properties", {})
    files = [k for k, v in props.items() if v.get("format") == "binary"]
    for payload in (b"", b"\x00\x01PK\x03\x04", "主体代码\n\ud800".encode("utf-8", "surrogatepass"), b"\xff\xfe\x00a",
                    b'a,"b\n', "主体代码,信息类别\n".encode("gbk")):
        walk.send(method, path, f"upload {payload[:12]!r}", content_type="multipart/form-data",
                  data={f: (io.BytesIO(payload), "rows.csv") for f in files})
    nameless = (b'--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name="file"; '
                b'filename="a.csv"\r\n\r\n\xe4\xb8\xbb\r\n--B--\r\n')
    walk.send(method, path, "multipart part without a name", data=nameless, content_type="multipart/form-data; boundary=B")
    walk.send(method, path, "multipart without its boundary", data=nameless, content_type="multipart/form-data")
    for field in (k for k in props if k not in files):
        for bad in ("a\x00b", "x" * 10_000, "\u202e测试", "😀"):
            data = {field: bad, **{f: (io.BytesIO("主体代码,信息类别\n".encode()), "rows.csv") for f in files}}
            walk.send(method, path, f"form {field}={bad[:12]!r}", content_type="multipart/form-data", data=data)


def _no_rule_takes(adapter, path: str, method: str) -> bool:
    """False when another route matches (``/calendar/<day>`` takes PUT ``/calendar/add-working-days``)."""
    from werkzeug.exceptions import HTTPException

    try:
        adapter.match(path.split("?")[0], method)
    except HTTPException:
        return True
    return False


def _walk_path_params(walk: Walk, rule: str, rule_obj, method: str) -> None:
    for name, converter in rule_obj._converters.items():
        is_int = type(converter).__name__.lower().find("int") >= 0
        for bad in BAD_INT_PATH if is_int else BAD_STR_PATH:
            walk.send(method, _path(walk, rule, method, (name, bad)), f"path {name}={bad[:20]}", json={})


def _walk_query(walk: Walk, rule: str, method: str) -> None:
    params = [p["name"] for p in walk.operation(rule, method).get("parameters", []) if p.get("in") == "query"]
    base = _path(walk, rule, method)
    for name in [*params, "page", "per_page", "page_size"]:
        for bad in BAD_QUERY:
            walk.send(method, f"{base}?{name}={bad}", f"query {name}={bad[:20]}")
    walk.send(method, f"{base}?page=1&page=2&{'&'.join(f'k{i}=v' for i in range(200))}", "query many keys")


def _walk_bodies(walk: Walk, rule: str, method: str) -> None:
    path = _path(walk, rule, method)
    for body, content_type in RAW_BODIES:
        walk.send(method, path, f"body {body[:16]!r} as {content_type}", data=body, content_type=content_type)
    _walk_form(walk, rule, method, path)
    schema = walk.body_schema(rule, method)
    if schema is None:
        return
    base = walk.sample("", schema)
    if not isinstance(base, dict):
        return
    walk.send(method, path, "plausible body", data=json.dumps(base), content_type="application/json")
    for key in BAD_IDEMPOTENCY_KEYS:
        walk.send(method, path, f"Idempotency-Key {key[:12]!r}", data=json.dumps(base), content_type="application/json",
                  headers={"Idempotency-Key": key})
    for field in list(base) + ["unknown_field"]:
        for bad in BAD_VALUES:
            body = json.dumps({**base, field: bad})  # ensure_ascii: "\ud800" goes as its escape
            walk.send(method, path, f"body {field}={str(bad)[:20]!r}", data=body, content_type="application/json")


# --- the fixes, one by one (they are also covered by the walk above) ---------------------------


@pytest.fixture
def staff(app, db):
    user = make_staff(db, Role.CREDIT_ADMIN)
    db.commit()
    return staff_headers(app, user)


@pytest.fixture
def account(app, db):
    acc = make_account(db)
    db.commit()
    return account_headers(app, acc)


def test_a_lone_surrogate_is_refused_not_stored(client, account):
    body = '{"id_number": "11010519491231002X", "name": "\\ud800"}'
    resp = client.post("/miniapp/v1/me/identity", data=body, content_type="application/json", headers=account)
    assert resp.status_code == 422 and resp.json["reason"] == "invalid_character"


def test_an_emoji_sent_as_an_escaped_surrogate_pair_is_ordinary_text(client):
    resp = client.post("/miniapp/v1/auth/login", data='{"code": "\\ud83d\\ude00"}', content_type="application/json")
    assert resp.status_code == 503 and resp.json["reason"] == "wechat_not_configured"  # a code like any other


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 100_000, "json_too_deep"), (b'{"code": ', "invalid_json"), (b"\xff\xfe{}", "invalid_json"),
    ('{"code": "dev:a"}'.encode("utf-16"), "invalid_json"),
])
def test_a_body_that_is_not_json_is_a_400_with_a_reason(client, body, reason):
    resp = client.post("/miniapp/v1/auth/login", data=body, content_type="application/json")
    assert resp.status_code == 400 and resp.json["reason"] == reason
    assert CHINESE.search(resp.json["message"])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_json_endpoint_sent_another_media_type_answers_415(client, content_type):
    resp = client.post("/miniapp/v1/auth/login", data='{"code": "dev:a"}', content_type=content_type)
    assert resp.status_code == 415 and resp.json["reason"] == "unsupported_media_type"
    assert "JSON" in resp.json["message"]


def test_json_with_a_structured_suffix_is_json(client):
    resp = client.post("/miniapp/v1/auth/login", data='{"code": "dev:a"}', content_type="application/vnd.api+json")
    assert resp.status_code == 200


def test_the_batch_endpoint_still_takes_a_csv_upload(client, staff):
    import io

    resp = client.post("/staff/v1/records/batch", headers=staff, content_type="multipart/form-data",
                       data={"file": (io.BytesIO("主体代码,信息类别\n".encode()), "rows.csv")})
    assert resp.status_code != 415


def test_an_empty_body_on_an_optional_body_endpoint_is_not_refused(client):
    login = client.post("/miniapp/v1/auth/login", json={"code": "dev:bad-inputs"}).json
    resp = client.post("/miniapp/v1/auth/logout", headers={"Authorization": f"Bearer {login['access_token']}"})
    assert resp.status_code < 400


def test_field_messages_are_in_chinese(client, staff):
    resp = client.get("/staff/v1/records?page=0&from=yesterday&per_page=abc", headers=staff)
    assert resp.status_code == 422
    assert resp.json["errors"] == {"page": ["应在 1 到 100000 之间。"], "from": [
        "日期格式不正确，请按“2026-10-01”的格式填写一个真实的日期。"], "per_page": ["应为整数。"]}


def test_a_page_beyond_any_offset_is_a_422(client, staff):
    # The agency queue's page is bounded like every list's now: refused by the schema, not by the database.
    resp = client.get("/staff/v1/agencies?page=3444662501174777217024", headers=staff)
    assert resp.status_code == 422 and resp.json["reason"] == "validation_failed"
    assert resp.json["errors"] == {"page": ["应在 1 到 100000 之间。"]}


def test_options_and_head_work(client, account):
    assert client.options("/miniapp/v1/auth/login").status_code == 200
    resp = client.head("/miniapp/v1/me", headers=account)
    assert resp.status_code == 200 and resp.get_data() == b""


def test_a_nul_in_a_form_field_is_refused(client, staff):
    import io

    resp = client.post("/staff/v1/records/batch", headers=staff, content_type="multipart/form-data", data={
        "department_code": "SCJG\x00", "file": (io.BytesIO("主体代码,信息类别\n".encode()), "rows.csv")})
    assert resp.status_code == 422 and resp.json["reason"] == "nul_character"


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (OverflowError("date value out of range"), 422, "number_too_large"),
    (StatementError("date value out of range", "SELECT …", {}, OverflowError("date value out of range")), 422,
     "number_too_large"),
    (StatementError("boom", "SELECT …", {}, RuntimeError("boom")), 500, "internal_error"),
    (DataError("INSERT …", {}, _Orig("value too long for type character varying(64)", "22001")), 422, "value_too_long"),
    (DataError("SELECT …", {}, _Orig("bigint out of range", "22003")), 422, "number_too_large"),
    (DataError("SELECT …", {}, _Orig("invalid input syntax")), 422, "invalid_value"),
    (IntegrityError("INSERT …", {}, _Orig("duplicate key value violates unique constraint")), 409, "conflict"),
])
def test_what_slips_past_the_schemas_is_still_a_plain_refusal(app, exc, status, reason):
    """Backstops in backend/http/errors.py: an input no schema bounded reaches the database or the stdlib."""
    def boom():
        raise exc

    app.add_url_rule("/_test/raise", "raise_for_test", boom)
    resp = app.test_client().get("/_test/raise")
    assert resp.status_code == status and resp.json["reason"] == reason and CHINESE.search(resp.json["message"])


@pytest.mark.parametrize("url", [
    "/staff/v1/intercept/log?since=0001-01-01",
    "/staff/v1/queues/stats?date_from=0001-01-01&date_to=0001-01-02",
    "/staff/v1/intercept/log?until=9999-12-31",
    "/staff/v1/queues/stats?date_from=9999-12-01&date_to=9999-12-31",
])
def test_the_first_day_of_the_calendar_in_a_day_range_is_no_500(client, app, db, url):
    """0001-01-01 00:00 Beijing time is year 0 in UTC: the conversion overflowed inside SQLAlchemy
    (a StatementError, not the bare OverflowError the backstop caught) and answered 500."""
    from backend.staff.models import Role
    from tests.factories import make_staff, seeded_department, staff_headers

    admin = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    db.flush()
    resp = client.get(url, headers=staff_headers(app, admin))
    assert resp.status_code == 200, resp.json  # the services bound their day ranges with china_days

"""Access control of the staff API: deny by default, role checks, department scope.

The deny-by-default tests enumerate ``app.url_map`` when they run, so every ``/staff/v1`` route added
later by any context is covered without touching this file. A route that must answer without a
token has to be listed in ``PUBLIC_STAFF_ROUTES`` — on purpose, in review.
"""

from __future__ import annotations

import time
import uuid

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.routing import IntegerConverter, UUIDConverter

from backend.common.actor import SYSTEM, Actor
from backend.common.tokens import ACCOUNT_TOKEN, STAFF_TOKEN, sign
from backend.platform.errors import Forbidden
from backend.staff.models import OrgType, Role
from backend.staff.services import require_department_scope, scoped_department_id
from tests.factories import make_account, make_department, make_staff, staff_headers

PUBLIC_STAFF_ROUTES = {("POST", "/staff/v1/auth/login")}
PREFIX = "/staff/v1/"


def _staff_routes(app) -> list[tuple[str, str]]:
    """(method, concrete URL) for every protected route under /staff/v1."""
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        values = {}
        for name, conv in rule._converters.items():
            if isinstance(conv, IntegerConverter):
                values[name] = 1
            elif isinstance(conv, UUIDConverter):
                values[name] = uuid.UUID(int=1)
            else:
                values[name] = "x"
        url = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in PUBLIC_STAFF_ROUTES:
                out.append((method, url))
    return out


def _call(client, method, url, headers=None):
    kwargs = {"headers": headers or {}}
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        kwargs["json"] = {}  # a bad body: validation must not run before the token check
    return client.open(url, method=method, **kwargs)


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 30 * 24 * 3600


def _expired_staff_token(app, user_id: int) -> str:
    ser = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=STAFF_TOKEN, signer=_OldSigner)
    return ser.dumps({"s": user_id, "v": 1})


def test_enumeration_sees_the_staff_routes(app):
    routes = _staff_routes(app)
    assert ("GET", "/staff/v1/auth/me") in routes
    assert ("POST", "/staff/v1/staff-users") in routes
    assert len(routes) >= 6


def test_every_staff_route_needs_a_token(app, client):
    failures = []
    for method, url in _staff_routes(app):
        resp = _call(client, method, url)
        if resp.status_code != 401 or resp.json.get("reason") != "token_missing":
            failures.append((method, url, resp.status_code, (resp.json or {}).get("reason")))
    assert failures == []


@pytest.mark.parametrize("kind", ["forged", "expired", "account", "revoked", "deactivated", "garbage", "basic"])
def test_every_staff_route_refuses_bad_tokens(app, client, db, kind):
    user = make_staff(db, Role.CREDIT_ADMIN)
    db.flush()
    if kind == "forged":
        header = "Bearer " + sign("some-other-secret-0123456789abcdef", STAFF_TOKEN, {"s": user.id, "v": 1})
    elif kind == "expired":
        header = "Bearer " + _expired_staff_token(app, user.id)
    elif kind == "account":  # a mini-program token is not a staff token, whatever its payload
        header = "Bearer " + sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"s": user.id, "v": 1, "a": 1})
    elif kind == "revoked":
        header = staff_headers(app, user)["Authorization"]
        user.token_version += 1
        db.flush()
    elif kind == "deactivated":
        header = staff_headers(app, user)["Authorization"]
        user.active = False
        db.flush()
    elif kind == "garbage":
        header = "Bearer not.a.token"
    else:
        header = "Basic " + staff_headers(app, user)["Authorization"].split()[1]
    failures = []
    for method, url in _staff_routes(app):
        resp = _call(client, method, url, {"Authorization": header})
        if resp.status_code != 401:
            failures.append((method, url, resp.status_code))
    assert failures == []


def test_expired_token_says_so(app, client, db):
    user = make_staff(db, Role.AUDITOR)
    db.flush()
    resp = client.get("/staff/v1/auth/me", headers={"Authorization": "Bearer " + _expired_staff_token(app, user.id)})
    assert resp.status_code == 401 and resp.json["reason"] == "token_expired"


# --- role table for the account endpoints ---------------------------------------------------------

ALL_ROLES = list(Role)
ADMIN_ONLY = {Role.CREDIT_ADMIN}


def _new_user_body():
    return {"username": f"u{uuid.uuid4().hex[:8]}", "password": "Qinghe2024abc", "display_name": "新人",
            "role": "auditor"}


ROLE_TABLE = [
    # (method, path template, roles allowed, success status)
    ("GET", "/staff/v1/auth/me", set(ALL_ROLES), 200),
    ("GET", "/staff/v1/staff-users", ADMIN_ONLY, 200),
    ("POST", "/staff/v1/staff-users", ADMIN_ONLY, 201),
    ("GET", "/staff/v1/staff-users/{other}", ADMIN_ONLY, 200),
    ("POST", "/staff/v1/staff-users/{other}/deactivate", ADMIN_ONLY, 200),
]


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize(("method", "path", "allowed", "ok"), ROLE_TABLE, ids=lambda v: str(v)[:40])
def test_role_table(app, client, db, role, method, path, allowed, ok):
    user = make_staff(db, role)
    other = make_staff(db, Role.AUDITOR)
    db.flush()
    url = path.format(other=other.id)
    body = _new_user_body() if path == "/staff/v1/staff-users" and method == "POST" else None
    resp = client.open(url, method=method, headers=staff_headers(app, user), json=body)
    if role in allowed:
        assert resp.status_code == ok, resp.json
    else:
        assert resp.status_code == 403, resp.json
        assert resp.json["reason"] == "role_forbidden"


def test_auditor_cannot_create_and_nothing_is_created(app, client, db):
    auditor = make_staff(db, Role.AUDITOR)
    db.flush()
    body = _new_user_body()
    assert client.post("/staff/v1/staff-users", headers=staff_headers(app, auditor), json=body).status_code == 403
    admin = make_staff(db, Role.CREDIT_ADMIN)
    db.flush()
    listed = client.get("/staff/v1/staff-users", headers=staff_headers(app, admin)).json
    assert body["username"] not in [u["username"] for u in listed]


# --- department scope -----------------------------------------------------------------------------


def _actor(role: Role, dept_id: int | None) -> Actor:
    return Actor("staff", 1, role=role.value, department_id=dept_id)


def test_department_scope(db):
    mine, theirs = make_department(db, OrgType.GOVERNMENT), make_department(db, OrgType.GOVERNMENT)
    for role in (Role.CREDIT_ADMIN, Role.AUDITOR):
        require_department_scope(_actor(role, None), theirs.id)
        assert scoped_department_id(_actor(role, mine.id)) is None
    require_department_scope(SYSTEM, theirs.id)
    for role in (Role.DEPT_REVIEWER, Role.BANK_PARTNER, Role.MERCHANT):
        actor = _actor(role, mine.id)
        require_department_scope(actor, mine.id)
        assert scoped_department_id(actor) == mine.id
        with pytest.raises(Forbidden) as exc:
            require_department_scope(actor, theirs.id)
        assert exc.value.reason == "department_scope" and exc.value.status == 403
    with pytest.raises(Forbidden):
        require_department_scope(_actor(Role.DEPT_REVIEWER, None), mine.id)
    with pytest.raises(Forbidden):
        require_department_scope(Actor("account", 5), mine.id)


def test_account_token_is_no_staff_login(app, client, db):
    account = make_account(db)
    db.flush()
    token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": account.id})
    resp = client.get("/staff/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401

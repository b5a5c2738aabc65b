"""Staff accounts: creation rules, login, re-hash, password change, deactivation, CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.common.actor import SYSTEM
from backend.common.models import AuditEntry
from backend.platform.errors import Conflict, ValidationFailed
from backend.staff import services as svc
from backend.staff.models import OrgType, Role, StaffUser
from tests.factories import STAFF_PASSWORD, make_department, make_staff, seeded_department, staff_headers

GOOD_PASSWORD = "Qinghe2024abc"


def _login(client, username, password=STAFF_PASSWORD, **kw):
    return client.post("/staff/v1/auth/login", json={"username": username, "password": password}, **kw)


def _audit(db, action):
    return db.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


# --- create_staff_user ---------------------------------------------------------------------------


def test_create_reviewer_hashes_with_argon2id_and_audits(db):
    dept = seeded_department(db, "SCJG")
    user = svc.create_staff_user(db, SYSTEM, username=" Zhang.San ", password=GOOD_PASSWORD,
                                 display_name="张三", role="dept_reviewer", department_id=dept.id)
    assert user.username == "zhang.san"
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    (entry,) = _audit(db, "staff.create")
    assert entry.target_id == str(user.id)
    assert entry.details == {"role": "dept_reviewer", "department_id": dept.id}


@pytest.mark.parametrize("password", ["short1a", "abcdefghijkl", "123456789012", "x" * 120 + "1" * 9])
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_staff_user(db, SYSTEM, username="lisi", password=password, display_name="李四",
                              role="auditor")
    assert exc.value.reason == "weak_password"


@pytest.mark.parametrize(
    ("role", "org_type", "reason"),
    [
        ("dept_reviewer", None, "department_required"),
        ("bank_partner", None, "department_required"),
        ("merchant", None, "department_required"),
        ("bank_partner", OrgType.GOVERNMENT, "department_mismatch"),
        ("merchant", OrgType.BANK, "department_mismatch"),
        ("dept_reviewer", OrgType.MERCHANT, "department_mismatch"),
        ("credit_admin", OrgType.BANK, "department_mismatch"),
    ],
)
def test_role_needs_a_fitting_department(db, role, org_type, reason):
    dept_id = make_department(db, org_type).id if org_type else None
    with pytest.raises(ValidationFailed) as exc:
        svc.create_staff_user(db, SYSTEM, username="wangwu", password=GOOD_PASSWORD, display_name="王五",
                              role=role, department_id=dept_id)
    assert exc.value.reason == reason


def test_bank_partner_in_a_bank_is_fine(db):
    bank = make_department(db, OrgType.BANK)
    user = svc.create_staff_user(db, SYSTEM, username="bank1", password=GOOD_PASSWORD, display_name="农商行",
                                 role=Role.BANK_PARTNER, department_id=bank.id)
    assert user.department_id == bank.id


def test_unknown_role_and_taken_username(db):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_staff_user(db, SYSTEM, username="a1b", password=GOOD_PASSWORD, display_name="x", role="boss")
    assert exc.value.reason == "role_invalid"
    make_staff(db, Role.AUDITOR, username="taken")
    with pytest.raises(Conflict) as exc:
        svc.create_staff_user(db, SYSTEM, username="TAKEN", password=GOOD_PASSWORD, display_name="x",
                              role="auditor")
    assert exc.value.status == 409 and exc.value.reason == "username_taken"


# --- login ----------------------------------------------------------------------------------------


def test_login_returns_token_and_user(app, client, db):
    dept = seeded_department(db, "SCJG")
    user = make_staff(db, Role.DEPT_REVIEWER, dept, username="reviewer1", display_name="审核员甲")
    db.flush()
    resp = _login(client, "Reviewer1")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["expires_in"] == app.config["STAFF_TOKEN_TTL"]
    assert body["user"]["id"] == user.id
    assert body["user"]["role"] == "dept_reviewer" and body["user"]["role_label"] == "部门审核员"
    assert body["user"]["department"]["code"] == "SCJG"
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = client.get("/staff/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json["username"] == "reviewer1"
    (entry,) = _audit(db, "staff.login")
    assert entry.actor == f"staff:{user.id}"
    assert STAFF_PASSWORD not in str(entry.details)
    db.refresh(user)
    assert user.last_login_at is not None


def test_login_rehashes_a_hash_made_with_old_parameters(client, db):
    user = make_staff(db, Role.AUDITOR, username="oldhash")  # factory hash: t=1, m=1 MiB
    old = user.password_hash
    assert svc.password_hasher.check_needs_rehash(old)
    db.flush()
    assert _login(client, "oldhash").status_code == 200
    db.refresh(user)
    assert user.password_hash != old
    assert not svc.password_hasher.check_needs_rehash(user.password_hash)
    assert _login(client, "oldhash").status_code == 200


@pytest.mark.parametrize("username", ["nobody", "oldfriend"])
def test_unknown_user_and_wrong_password_look_alike(client, db, username):
    make_staff(db, Role.AUDITOR, username="oldfriend")
    db.flush()
    resp = _login(client, username, "Wrong-password-1")
    assert resp.status_code == 401
    assert resp.json["reason"] == "invalid_credentials"
    assert resp.json["message"] == "用户名或密码错误。"


def test_deactivated_user_cannot_log_in(client, db):
    make_staff(db, Role.AUDITOR, username="gone", active=False)
    db.flush()
    resp = _login(client, "gone")
    assert resp.status_code == 401 and resp.json["reason"] == "invalid_credentials"


@pytest.mark.parametrize(
    "body", [{}, {"username": "a"}, {"password": "b"}, {"username": "", "password": "x"},
             {"username": 5, "password": []}, {"username": "a" * 65, "password": "x"}],
)
def test_bad_login_bodies_are_422(client, body):
    resp = client.post("/staff/v1/auth/login", json=body)
    assert resp.status_code == 422
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_login_without_json_is_4xx(client):
    resp = client.post("/staff/v1/auth/login", data="username=a", content_type="application/x-www-form-urlencoded")
    assert 400 <= resp.status_code < 500


# Throttling of repeated failures (it replaced the lockout): tests/staff/test_staff_login.py


# --- password change / deactivation ---------------------------------------------------------------


def test_password_change_revokes_old_tokens(app, client, db):
    user = make_staff(db, Role.DEPT_REVIEWER, username="changer")
    old = staff_headers(app, user)
    db.flush()
    resp = client.post("/staff/v1/auth/password", headers=old,
                       json={"current_password": STAFF_PASSWORD, "new_password": GOOD_PASSWORD})
    assert resp.status_code == 200, resp.json
    new = {"Authorization": f"Bearer {resp.json['token']}"}
    assert client.get("/staff/v1/auth/me", headers=new).status_code == 200
    revoked = client.get("/staff/v1/auth/me", headers=old)
    assert revoked.status_code == 401 and revoked.json["reason"] == "token_revoked"
    assert _login(client, "changer").status_code == 401
    assert _login(client, "changer", GOOD_PASSWORD).status_code == 200
    assert len(_audit(db, "staff.password_change")) == 1


@pytest.mark.parametrize(
    ("current", "new", "reason"),
    [("Wrong-password-1", GOOD_PASSWORD, "wrong_password"), (STAFF_PASSWORD, "short1", "weak_password"),
     (STAFF_PASSWORD, STAFF_PASSWORD, "password_unchanged")],
)
def test_password_change_refusals(app, client, db, current, new, reason):
    user = make_staff(db, Role.AUDITOR)
    db.flush()
    resp = client.post("/staff/v1/auth/password", headers=staff_headers(app, user),
                       json={"current_password": current, "new_password": new})
    assert resp.status_code == 422 and resp.json["reason"] == reason
    db.refresh(user)
    assert user.token_version == 1


def test_admin_creates_lists_and_deactivates(app, client, db):
    admin = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    h = staff_headers(app, admin)
    db.flush()
    resp = client.post("/staff/v1/staff-users", headers=h, json={
        "username": "court1", "password": GOOD_PASSWORD, "display_name": "法院审核员", "role": "dept_reviewer",
        "department": "fy"})
    assert resp.status_code == 201, resp.json
    new_id = resp.json["id"]
    assert resp.json["department"]["code"] == "FY" and resp.json["role_label"] == "部门审核员"
    listed = client.get("/staff/v1/staff-users?department=FY", headers=h)
    assert [u["username"] for u in listed.json] == ["court1"]
    login = _login(client, "court1", GOOD_PASSWORD)
    token = {"Authorization": f"Bearer {login.json['token']}"}
    assert client.post(f"/staff/v1/staff-users/{new_id}/deactivate", headers=h).json["active"] is False
    assert client.get("/staff/v1/auth/me", headers=token).status_code == 401
    assert _login(client, "court1", GOOD_PASSWORD).status_code == 401
    assert client.post(f"/staff/v1/staff-users/{admin.id}/deactivate", headers=h).json["reason"] == \
        "cannot_deactivate_self"
    assert client.get("/staff/v1/staff-users/999999", headers=h).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"username": "x1y", "password": GOOD_PASSWORD, "display_name": "x", "role": "boss"}, 422,
         "validation_failed"),
        ({"username": "x1y", "password": "weakpassword", "display_name": "x", "role": "auditor"}, 422,
         "weak_password"),
        ({"username": "x1y", "password": GOOD_PASSWORD, "display_name": "x", "role": "dept_reviewer"}, 422,
         "department_required"),
        ({"username": "x1y", "password": GOOD_PASSWORD, "display_name": "x", "role": "dept_reviewer",
          "department": "NOPE"}, 422, "department_not_found"),
        ({"username": "x1y", "password": GOOD_PASSWORD, "display_name": "x", "role": "bank_partner",
          "department": "SCJG"}, 422, "department_mismatch"),
        ({"username": "中文名", "password": GOOD_PASSWORD, "display_name": "x", "role": "auditor"}, 422,
         "username_invalid"),
        ({"username": "x1y", "display_name": "x", "role": "auditor"}, 422, "validation_failed"),
    ],
)
def test_create_refusals_over_http(app, client, db, body, status, reason):
    h = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN))
    db.flush()
    resp = client.post("/staff/v1/staff-users", headers=h, json=body)
    assert resp.status_code == status and resp.json["reason"] == reason
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_duplicate_username_over_http_is_409(app, client, db):
    h = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN))
    make_staff(db, Role.AUDITOR, username="dup1")
    db.flush()
    resp = client.post("/staff/v1/staff-users", headers=h, json={
        "username": "dup1", "password": GOOD_PASSWORD, "display_name": "x", "role": "auditor"})
    assert resp.status_code == 409 and resp.json["reason"] == "username_taken"


def test_bad_list_filters_are_422(app, client, db):
    h = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN))
    db.flush()
    assert client.get("/staff/v1/staff-users?role=boss", headers=h).status_code == 422
    assert client.get("/staff/v1/staff-users?active=maybe", headers=h).status_code == 422
    assert client.get("/staff/v1/staff-users?department=NOPE", headers=h).json["reason"] == "department_not_found"


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_creates_an_account_with_a_prompted_password(app, client, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "--username", "admin1", "--role", "credit_admin",
                                 "--department", "FGW", "--display-name", "信用办管理员"],
                           input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output.replace("Password", "")
    user = db.execute(select(StaffUser).where(StaffUser.username == "admin1")).scalar_one()
    assert user.role == Role.CREDIT_ADMIN and user.department.code == "FGW"
    assert _login(client, "admin1", GOOD_PASSWORD).status_code == 200


def test_cli_refusals_are_plain_errors(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "--username", "bank9", "--role", "bank_partner"],
                           input="Short1\nShort1\n")
    assert result.exit_code != 0
    assert "weak_password" in result.output
    result = runner.invoke(args=["staff", "create", "--username", "rev9", "--role", "dept_reviewer",
                                 "--department", "NOPE"], input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code != 0 and "department_not_found" in result.output
    assert db.execute(select(StaffUser).where(StaffUser.username.in_(["bank9", "rev9"]))).first() is None


def test_cli_reset_password_ends_every_session(app, client, db):
    user = make_staff(db, Role.AUDITOR, username="locked1")
    working = staff_headers(app, user)
    db.flush()
    result = app.test_cli_runner().invoke(args=["staff", "reset-password", "locked1"],
                                          input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    ended = client.get("/staff/v1/auth/me", headers=working)
    assert ended.status_code == 401 and ended.json["reason"] == "token_revoked"
    assert _login(client, "locked1", GOOD_PASSWORD).status_code == 200
    db.refresh(user)
    assert user.token_version == 2

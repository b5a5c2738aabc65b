"""Sessions that can end (issue 8 item 1): every cause refuses the old bearer on the very next request,
and the owner lists and ends their own sessions (never seeing a token)."""

from __future__ import annotations

from sqlalchemy import select, update

from backend.sessions.models import AuthSession, EndReason
from backend.staff.models import Role
from backend.subjects.models import RefreshToken
from tests.factories import STAFF_PASSWORD, make_staff
from tests.factories.cards import bound_account, headers

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.44"


def _login(client, name="alice", ip="203.0.113.7", ua=IPHONE):
    resp = client.post("/miniapp/v1/auth/login", json={"code": f"dev:{name}"},
                       headers={"User-Agent": ua}, environ_base={"REMOTE_ADDR": ip})
    assert resp.status_code == 200, resp.json
    return resp.json


def _bearer(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _revoked(resp) -> bool:
    return resp.status_code == 401 and resp.json["reason"] == "token_revoked"


def _refresh(client, token):
    return client.post("/miniapp/v1/auth/refresh", json={"refresh_token": token})


def test_after_logout_the_same_bearer_is_refused(client):
    tokens = _login(client)
    assert client.get("/miniapp/v1/me", headers=_bearer(tokens)).status_code == 200
    assert client.post("/miniapp/v1/auth/logout", headers=_bearer(tokens)).status_code == 204
    assert _revoked(client.get("/miniapp/v1/me", headers=_bearer(tokens)))
    assert _revoked(client.post("/miniapp/v1/me/card/share", headers=_bearer(tokens), json={}))


def test_logging_out_one_device_leaves_the_other(client):
    phone, tablet = _login(client), _login(client)
    resp = client.post("/miniapp/v1/auth/logout", headers=_bearer(phone), json={"refresh_token": phone["refresh_token"]})
    assert resp.status_code == 204
    assert _revoked(client.get("/miniapp/v1/me", headers=_bearer(phone)))
    assert client.get("/miniapp/v1/me", headers=_bearer(tablet)).status_code == 200


def test_refresh_keeps_the_session_and_reuse_ends_the_stolen_access_token(client, db):
    first = _login(client)
    second = _refresh(client, first["refresh_token"]).json
    assert client.get("/miniapp/v1/me", headers=_bearer(second)).status_code == 200
    db.expire_all()
    assert db.execute(select(AuthSession).where(AuthSession.account_id == first["account"]["id"])).scalars().all()[0] \
        .refreshed_at is not None
    # The first refresh token was copied: presenting it again ends every session, the thief's access too.
    assert _refresh(client, first["refresh_token"]).json["reason"] == "refresh_reused"
    assert _revoked(client.get("/miniapp/v1/me", headers=_bearer(second)))
    assert _revoked(client.get("/miniapp/v1/me", headers=_bearer(first)))
    db.expire_all()
    reasons = {s.end_reason for s in db.execute(select(AuthSession)).scalars()}
    assert reasons == {EndReason.REFRESH_REUSED}


def test_a_refresh_token_from_before_sessions_starts_one(client, db):
    tokens = _login(client)
    db.execute(update(RefreshToken).values(session_id=None))
    db.commit()
    renewed = _refresh(client, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.json
    assert client.get("/miniapp/v1/me", headers=_bearer(renewed.json)).status_code == 200


def test_the_session_list_shows_devices_and_times_never_tokens(client):
    phone = _login(client)
    desk = _login(client, ip="2001:db8:1234:5678::9", ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    resp = client.get("/miniapp/v1/me/sessions", headers=_bearer(phone))
    assert resp.status_code == 200
    listed = resp.json
    assert [(s["device"], s["ip_prefix"], s["current"]) for s in listed] == [
        ("Windows · 浏览器", "2001:db8:1234::/48", False), ("iPhone · 微信", "203.0.113.0/24", True)]
    assert set(listed[0]) == {"id", "device", "ip_prefix", "created_at", "refreshed_at", "expires_at", "current"}
    body = resp.get_data(as_text=True)
    for secret in (phone["access_token"], phone["refresh_token"], desk["access_token"], desk["refresh_token"]):
        assert secret not in body
    assert "203.0.113.7" not in body


def test_ending_my_own_sessions_and_not_anyone_elses(client):
    phone, tablet = _login(client), _login(client)
    stranger = _login(client, "mallory")
    sessions = client.get("/miniapp/v1/me/sessions", headers=_bearer(phone)).json
    tablet_id = next(s["id"] for s in sessions if not s["current"])
    stranger_id = client.get("/miniapp/v1/me/sessions", headers=_bearer(stranger)).json[0]["id"]

    other = client.delete(f"/miniapp/v1/me/sessions/{stranger_id}", headers=_bearer(phone))
    assert other.status_code == 404 and other.json["reason"] == "session_not_found"
    assert client.get("/miniapp/v1/me", headers=_bearer(stranger)).status_code == 200

    assert client.delete(f"/miniapp/v1/me/sessions/{tablet_id}", headers=_bearer(phone)).status_code == 204
    assert _revoked(client.get("/miniapp/v1/me", headers=_bearer(tablet)))
    assert _refresh(client, tablet["refresh_token"]).status_code == 401  # its refresh token ended too
    assert client.get("/miniapp/v1/me", headers=_bearer(phone)).status_code == 200
    assert tablet_id not in [s["id"] for s in client.get("/miniapp/v1/me/sessions", headers=_bearer(phone)).json]


def test_ending_the_current_session_refuses_its_own_bearer(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    current = client.get("/miniapp/v1/me/sessions", headers=hdrs).json[0]
    assert current["current"] is True
    assert client.delete(f"/miniapp/v1/me/sessions/{current['id']}", headers=hdrs).status_code == 204
    assert _revoked(client.get("/miniapp/v1/me/card", headers=hdrs))


# --- staff ---------------------------------------------------------------------------------------


def _staff_login(client, username, ip="10.2.0.5", password=STAFF_PASSWORD):
    resp = client.post("/staff/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_staff_logout_and_own_sessions(client, db):
    make_staff(db, Role.DEPT_REVIEWER, username="reviewer1")
    make_staff(db, Role.DEPT_REVIEWER, username="reviewer2")
    db.flush()
    office, home = _staff_login(client, "reviewer1"), _staff_login(client, "reviewer1", ip="198.51.100.20")
    someone = _staff_login(client, "reviewer2")
    listed = client.get("/staff/v1/auth/sessions", headers=office).json
    assert [(s["ip_prefix"], s["current"]) for s in listed] == [("198.51.100.0/24", False), ("10.2.0.0/24", True)]
    theirs = client.get("/staff/v1/auth/sessions", headers=someone).json[0]["id"]
    assert client.delete(f"/staff/v1/auth/sessions/{theirs}", headers=office).status_code == 404
    assert client.delete(f"/staff/v1/auth/sessions/{listed[0]['id']}", headers=office).status_code == 204
    assert _revoked(client.get("/staff/v1/auth/me", headers=home))
    assert client.post("/staff/v1/auth/logout", headers=office).status_code == 204
    assert _revoked(client.get("/staff/v1/auth/me", headers=office))
    assert client.get("/staff/v1/auth/me", headers=someone).status_code == 200


def test_staff_deactivation_ends_every_session_at_once(client, db):
    make_staff(db, Role.CREDIT_ADMIN, username="boss")
    make_staff(db, Role.AUDITOR, username="leaver")
    db.flush()
    admin, leaver = _staff_login(client, "boss"), _staff_login(client, "leaver")
    leaver_id = client.get("/staff/v1/auth/me", headers=leaver).json["id"]
    assert client.post(f"/staff/v1/staff-users/{leaver_id}/deactivate", headers=admin).status_code == 200
    assert _revoked(client.get("/staff/v1/auth/me", headers=leaver))
    db.expire_all()
    assert {s.end_reason for s in db.execute(select(AuthSession).where(AuthSession.staff_user_id == leaver_id))
            .scalars()} == {EndReason.STAFF_DEACTIVATED}


def test_a_staff_password_change_ends_the_other_sessions(client, db):
    make_staff(db, Role.AUDITOR, username="changer2")
    db.flush()
    here, there = _staff_login(client, "changer2"), _staff_login(client, "changer2", ip="198.51.100.3")
    resp = client.post("/staff/v1/auth/password", headers=here,
                       json={"current_password": STAFF_PASSWORD, "new_password": "Qinghe2024abc"})
    assert resp.status_code == 200
    assert _revoked(client.get("/staff/v1/auth/me", headers=there))
    assert client.get("/staff/v1/auth/me", headers={"Authorization": f"Bearer {resp.json['token']}"}).status_code == 200

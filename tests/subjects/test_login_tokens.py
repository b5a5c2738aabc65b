"""Development login, refresh-token rotation and reuse detection, logout (no WeChat configured)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from backend.subjects.models import Account, RefreshToken


def dev_login(client, name="alice"):
    resp = client.post("/miniapp/v1/auth/login", json={"code": f"dev:{name}"})
    assert resp.status_code == 200, resp.json
    return resp.json


def bearer(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def refresh(client, token):
    return client.post("/miniapp/v1/auth/refresh", json={"refresh_token": token})


def test_dev_login_without_wechat(client, db):
    tokens = dev_login(client, "alice")
    account = db.execute(select(Account).where(Account.openid == "dev-alice")).scalar_one()
    assert tokens["account"] == {"id": account.id, "identity_level": "none", "has_identity": False}
    assert dev_login(client, "alice")["account"]["id"] == account.id
    assert dev_login(client, "bob")["account"]["id"] != account.id


@pytest.mark.parametrize("code", ["dev:", "dev:有人", "dev:a b", "dev:" + "x" * 41])
def test_dev_login_rejects_odd_names(client, code):
    resp = client.post("/miniapp/v1/auth/login", json={"code": code})
    assert resp.status_code == 422 and resp.json["reason"] == "dev_code_invalid"


def test_real_code_without_wechat_configured_is_503(client):
    resp = client.post("/miniapp/v1/auth/login", json={"code": "081Kq4Ga1MSox41ufFGa1elUeu1Kq4Ge"})
    assert resp.status_code == 503 and resp.json["reason"] == "wechat_not_configured"


@pytest.mark.parametrize("config_overrides", [{"ENV": "production"}])
def test_dev_login_refused_in_production(client):
    resp = client.post("/miniapp/v1/auth/login", json={"code": "dev:alice"})
    assert resp.status_code == 403 and resp.json["reason"] == "dev_login_disabled"


def test_refresh_token_stored_only_as_hash(client, db):
    tokens = dev_login(client)
    rows = db.execute(select(RefreshToken.token_hash)).scalars().all()
    assert hashlib.sha256(tokens["refresh_token"].encode()).hexdigest() in rows
    assert tokens["refresh_token"] not in rows


def test_refresh_rotates_tokens(client):
    first = dev_login(client)
    resp = refresh(client, first["refresh_token"])
    assert resp.status_code == 200, resp.json
    second = resp.json
    assert second["refresh_token"] != first["refresh_token"]
    assert second["account"]["id"] == first["account"]["id"]
    assert client.get("/miniapp/v1/me", headers=bearer(second)).status_code == 200
    # the new refresh token works in turn
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_every_session(client, db):
    first = dev_login(client)
    other_device = dev_login(client)  # a second login of the same account
    second = refresh(client, first["refresh_token"]).json
    reused = refresh(client, first["refresh_token"])
    assert reused.status_code == 401 and reused.json["reason"] == "refresh_reused"
    # the revocation survived the 401: neither the rotated token nor the other device's works
    assert refresh(client, second["refresh_token"]).json["reason"] in {"refresh_revoked", "refresh_reused"}
    assert refresh(client, other_device["refresh_token"]).status_code == 401
    db.expire_all()
    live = db.execute(select(RefreshToken).where(RefreshToken.account_id == first["account"]["id"],
                                                 RefreshToken.revoked_at.is_(None))).scalars().all()
    assert live == []


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 300])
def test_unknown_refresh_token(client, token):
    resp = refresh(client, token)
    assert resp.status_code in (401, 422)
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_refresh_bad_body_is_422(client):
    assert client.post("/miniapp/v1/auth/refresh", json={}).status_code == 422
    assert client.post("/miniapp/v1/auth/refresh", json={"refresh_token": 5}).status_code == 422


@pytest.mark.parametrize("config_overrides", [{"REFRESH_TOKEN_TTL": -1}])
def test_expired_refresh_token(client):
    tokens = dev_login(client)
    resp = refresh(client, tokens["refresh_token"])
    assert resp.status_code == 401 and resp.json["reason"] == "refresh_expired"


def test_logout_revokes_all_refresh_tokens(client):
    a = dev_login(client)
    b = dev_login(client)
    resp = client.post("/miniapp/v1/auth/logout", headers=bearer(a))
    assert resp.status_code == 204
    assert refresh(client, a["refresh_token"]).json["reason"] == "refresh_revoked"
    assert refresh(client, b["refresh_token"]).json["reason"] == "refresh_revoked"


def test_logout_one_refresh_token(client):
    a = dev_login(client)
    b = dev_login(client)
    resp = client.post("/miniapp/v1/auth/logout", headers=bearer(a), json={"refresh_token": a["refresh_token"]})
    assert resp.status_code == 204
    assert refresh(client, a["refresh_token"]).status_code == 401
    assert refresh(client, b["refresh_token"]).status_code == 200


def test_logout_needs_login(client):
    resp = client.post("/miniapp/v1/auth/logout")
    assert resp.status_code == 401 and resp.json["reason"] == "token_missing"


def test_disabled_account_cannot_log_in_or_refresh(client, db):
    tokens = dev_login(client, "carol")
    account = db.get(Account, tokens["account"]["id"])
    account.disabled = True
    db.flush()
    assert client.post("/miniapp/v1/auth/login", json={"code": "dev:carol"}).status_code == 403
    assert refresh(client, tokens["refresh_token"]).json["reason"] == "account_disabled"

"""HTTP edges every endpoint shares: huge ids, proxies, OpenAPI types."""

from __future__ import annotations

import pytest

from tests.factories.cards import bound_account, headers


@pytest.mark.parametrize(("method", "path"), [
    ("delete", "/miniapp/v1/me/card/shares/999999999999999999999999999999"),
    ("get", "/miniapp/v1/me/card/shares/9223372036854775808/qr.png"),
    ("get", "/staff/v1/records/99999999999999999999999"),
])
def test_an_id_beyond_64_bits_is_not_found_not_a_crash(app, client, db, method, path):
    account, _ = bound_account(db)
    db.commit()
    resp = getattr(client, method)(path, headers=headers(app, account))
    assert resp.status_code == 404 and resp.json["reason"] == "not_found"


def test_ids_are_integers_in_the_openapi_spec(client):
    spec = client.get("/openapi.json").json
    param = spec["paths"]["/miniapp/v1/me/card/shares/{share_id}"]["parameters"][0]
    assert param["schema"]["type"] == "integer"


class TestBehindAProxy:
    @pytest.fixture
    def config_overrides(self):
        return {"TRUSTED_PROXIES": 1}

    def test_share_urls_use_the_public_host_the_proxy_saw(self, app, client, db):
        account, _ = bound_account(db)
        db.commit()
        resp = client.post("/miniapp/v1/me/card/share", json={"ttl_seconds": 600}, headers={
            **headers(app, account), "X-Forwarded-Host": "credit.huaian.example", "X-Forwarded-Proto": "https"})
        assert resp.status_code == 201
        assert resp.json["url"].startswith("https://credit.huaian.example/public/v1/cards/")


def test_an_id_beyond_the_primary_key_range_is_not_found(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    resp = client.delete("/miniapp/v1/me/card/shares/2147483648", headers=headers(app, account))
    assert resp.status_code == 404


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("post", "/miniapp/v1/auth/login", {"json": {"code": "dev:a\u0000b"}}),
    ("get", "/public/v1/firms/91320803MA1Y5W0Y2H%00", {}),
    ("get", "/public/v1/lists/red?page=1&x=%00", {}),
    ("post", "/staff/v1/auth/login", {"json": {"username": "admin\u0000", "password": "x"}}),
])
def test_nul_characters_are_refused_with_a_reason_everywhere(client, method, path, kwargs):
    resp = getattr(client, method)(path, **kwargs)
    assert resp.status_code == 422
    assert resp.json["reason"] == "nul_character" and "空字符" in resp.json["message"]


def test_an_oversized_body_is_refused_before_it_is_read(client):
    resp = client.post("/staff/v1/auth/login", data=b"x" * (26 * 1024 * 1024), content_type="application/json")
    assert resp.status_code == 413 and resp.json["reason"] == "payload_too_large"

"""Mini-program login through WeChat code2session (WeChat faked with ``responses``)."""

from __future__ import annotations

import pytest
import requests
import responses
from sqlalchemy import select

from backend.app import create_app
from backend.models import metadata
from backend.subjects.models import Account
from tests.backends import needs_redis
from tests.conftest import make_config
from tests.factories import make_account

APPID = "wx1234567890abcdef"
TOKEN_URL = "https://api.weixin.qq.com/cgi-bin/token"
SESSION_URL = "https://api.weixin.qq.com/sns/jscode2session"
SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="


@pytest.fixture
def config_overrides():
    return {"WECHAT_MINIAPP_APPID": APPID, "WECHAT_MINIAPP_SECRET": "secret-for-tests"}


@pytest.fixture
def wechat():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def token_ok(rsps, token="ACCESS_TOKEN_1", url=TOKEN_URL):
    rsps.get(url, json={"access_token": token, "expires_in": 7200})


def session_ok(rsps, openid="o6_bmjrPTlm6_2sgVt7hMZOPfL2M", unionid=None, url=SESSION_URL):
    body = {"openid": openid, "session_key": SESSION_KEY}
    if unionid:
        body["unionid"] = unionid
    rsps.get(url, json=body)


def login(client, code="081Kq4Ga1MSox41ufFGa1elUeu1Kq4Ge"):
    return client.post("/miniapp/v1/auth/login", json={"code": code})


def calls(rsps, url):
    return [c for c in rsps.calls if c.request.url.split("?")[0] == url]


def test_first_login_creates_account_and_returns_tokens(client, db, wechat):
    token_ok(wechat)
    session_ok(wechat, openid="openid-first")
    resp = login(client)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["refresh_token"]
    assert body["account"]["identity_level"] == "none" and body["account"]["has_identity"] is False
    account = db.execute(select(Account).where(Account.openid == "openid-first")).scalar_one()
    assert body["account"]["id"] == account.id and account.last_login_at is not None
    # the access token works on a protected endpoint
    me = client.get("/miniapp/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json["id"] == account.id
    # the code was sent to WeChat with our appid
    sent = calls(wechat, SESSION_URL)[0].request
    assert "js_code=081Kq4Ga1MSox41ufFGa1elUeu1Kq4Ge" in sent.url and f"appid={APPID}" in sent.url


def test_second_login_same_account_and_token_reused(client, wechat):
    token_ok(wechat)
    session_ok(wechat, openid="openid-again")
    first = login(client).json["account"]["id"]
    second = login(client).json["account"]["id"]
    assert first == second
    assert len(calls(wechat, TOKEN_URL)) == 1  # the access token is kept, not fetched per login


def test_session_key_never_leaves_server_nor_stored(client, db, wechat):
    token_ok(wechat)
    session_ok(wechat, openid="openid-sk", unionid="union-sk")
    resp = login(client)
    assert resp.status_code == 200
    assert SESSION_KEY not in resp.get_data(as_text=True)
    db.expire_all()
    for table in metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            assert SESSION_KEY not in repr(tuple(row)), table.name


def test_unionid_stored_and_links_existing_account(client, db, wechat):
    existing = make_account(db, openid="openid-other-app", unionid="union-42")
    db.flush()
    token_ok(wechat)
    session_ok(wechat, openid="openid-this-app", unionid="union-42")
    resp = login(client)
    assert resp.json["account"]["id"] == existing.id
    assert db.execute(select(Account).where(Account.openid == "openid-this-app")).scalar() is None


def test_new_account_keeps_unionid(client, db, wechat):
    token_ok(wechat)
    session_ok(wechat, openid="openid-u", unionid="union-new")
    login(client)
    assert db.execute(select(Account.unionid).where(Account.openid == "openid-u")).scalar() == "union-new"


def test_invalid_code_is_422(client, wechat):
    token_ok(wechat)
    wechat.get(SESSION_URL, json={"errcode": 40029, "errmsg": "invalid code, rid: 6f2a"})
    resp = login(client)
    assert resp.status_code == 422
    assert resp.json["reason"] == "wechat_code_invalid"
    assert resp.json["message"] == "登录凭证无效或已过期，请重新进入小程序"
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_wechat_rate_limit_is_429_with_retry_after(client, wechat):
    token_ok(wechat)
    wechat.get(SESSION_URL, json={"errcode": 45011, "errmsg": "api minute-quota reach limit mush slower"})
    resp = login(client)
    assert resp.status_code == 429
    assert resp.json["reason"] == "wechat_rate_limited"
    assert int(resp.headers["Retry-After"]) > 0


def test_expired_access_token_is_refetched_and_retried_once(client, wechat):
    token_ok(wechat, "OLD_TOKEN")
    token_ok(wechat, "NEW_TOKEN")
    wechat.get(SESSION_URL, json={"errcode": 42001, "errmsg": "access_token expired"})
    session_ok(wechat, openid="openid-retry")
    resp = login(client)
    assert resp.status_code == 200, resp.json
    assert len(calls(wechat, TOKEN_URL)) == 2
    session_calls = calls(wechat, SESSION_URL)
    assert len(session_calls) == 2
    assert "access_token=NEW_TOKEN" in session_calls[1].request.url


def test_invalid_access_token_retried_only_once(client, wechat):
    token_ok(wechat, "T1")
    token_ok(wechat, "T2")
    wechat.get(SESSION_URL, json={"errcode": 40001, "errmsg": "invalid credential"})
    wechat.get(SESSION_URL, json={"errcode": 40001, "errmsg": "invalid credential"})
    resp = login(client)
    assert resp.status_code == 503
    assert resp.json["reason"] == "wechat_unavailable"
    assert len(calls(wechat, SESSION_URL)) == 2


@pytest.mark.parametrize("url", [TOKEN_URL, SESSION_URL])
def test_wechat_unreachable_is_503(client, wechat, url):
    if url == SESSION_URL:
        token_ok(wechat)
    wechat.get(url, body=requests.ConnectionError("connection refused"))
    resp = login(client)
    assert resp.status_code == 503
    assert resp.json["reason"] == "wechat_unavailable"


def test_wechat_server_error_is_503(client, wechat):
    token_ok(wechat)
    wechat.get(SESSION_URL, status=502, body="Bad Gateway")
    resp = login(client)
    assert resp.status_code == 503 and resp.json["reason"] == "wechat_unavailable"


def test_dev_login_refused_when_wechat_configured(client, wechat):
    resp = login(client, "dev:alice")
    assert resp.status_code == 403
    assert resp.json["reason"] == "dev_login_disabled"
    assert len(wechat.calls) == 0


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 12}, {"code": "x" * 500}, None])
def test_bad_login_input_is_422(client, body):
    resp = client.post("/miniapp/v1/auth/login", json=body) if body is not None else client.post(
        "/miniapp/v1/auth/login", data="not json", content_type="application/json")
    assert 400 <= resp.status_code < 500
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


@pytest.mark.parametrize("config_overrides", [{"WECHAT_MINIAPP_APPID": APPID, "WECHAT_MINIAPP_SECRET": "s",
                                                "WECHAT_API_BASE": "http://wechat-fake.local:8080"}])
def test_wechat_api_base_points_wechatpy_at_a_fake(client, wechat):
    token_ok(wechat, url="http://wechat-fake.local:8080/cgi-bin/token")
    session_ok(wechat, openid="openid-fake", url="http://wechat-fake.local:8080/sns/jscode2session")
    resp = login(client)
    assert resp.status_code == 200, resp.json
    assert all(c.request.url.startswith("http://wechat-fake.local:8080/") for c in wechat.calls)


@needs_redis("two nodes share the access token only through Redis (in-memory tokens are per process)")
def test_access_token_shared_between_nodes_through_redis(app, client, wechat, database_url, redis_url):
    import redis

    token_ok(wechat, "SHARED_TOKEN")
    session_ok(wechat, openid="openid-n1")
    session_ok(wechat, openid="openid-n2")
    assert login(client).status_code == 200
    stored = redis.Redis.from_url(redis_url).get(f"wechat:{APPID}_access_token")
    assert stored is not None and b"SHARED_TOKEN" in stored
    other = create_app(make_config(database_url, redis_url, WECHAT_MINIAPP_APPID=APPID, WECHAT_MINIAPP_SECRET="s"))
    database = other.extensions["database"]
    database.sessionmaker.configure(bind=app.extensions["database"].sessionmaker.kw["bind"],
                                    join_transaction_mode="create_savepoint")
    resp = other.test_client().post("/miniapp/v1/auth/login", json={"code": "another-code"})
    assert resp.status_code == 200, resp.json
    assert len(calls(wechat, TOKEN_URL)) == 1  # the second node used the stored token

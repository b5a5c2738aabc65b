"""Rate limits: logins and public reads per IP, writes per user and per IP, the 429 shape, several apps.

Mini-program write endpoints are still being built by other contexts, so these tests add tiny
test-only routes under /miniapp/v1 and /staff/v1 to the test app; the limits apply to any route
under those prefixes.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, jsonify

from backend.app import create_app
from backend.http.auth import account_required, staff_required
from backend.http.extensions import limiter
from backend.http.ratelimit import heavy_read
from backend.staff.models import Role
from tests.backends import needs_redis
from tests.conftest import make_config
from tests.factories import account_headers, make_account, make_staff, staff_headers

LOGIN = 3
WRITE = 4
PUBLIC = 6
DOWNLOAD = 2


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_LOGIN": f"{LOGIN} per minute", "RATELIMIT_WRITE": f"{WRITE} per minute",
            "RATELIMIT_PUBLIC": f"{PUBLIC} per minute", "RATELIMIT_DOWNLOAD": f"{DOWNLOAD} per minute"}


def _test_routes(app) -> None:
    bp = Blueprint(f"ratelimit_test_{id(app)}", __name__)

    @bp.route("/miniapp/v1/_test/notes", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @account_required
    def notes():
        return jsonify(ok=True)

    @bp.route("/staff/v1/_test/notes", methods=["POST"])
    @staff_required()
    def staff_notes():
        return jsonify(ok=True)

    @bp.route("/staff/v1/_test/export.xlsx")
    @staff_required()
    @heavy_read
    def staff_export():
        return jsonify(ok=True)

    @bp.route("/public/v1/_test/notes", methods=["POST"])
    def public_notes():
        return jsonify(ok=True)

    if not any(r.rule == "/miniapp/v1/auth/login" for r in app.url_map.iter_rules()):
        # Stand-in until the mini-program login exists; the limit is on the path, not the view.
        @bp.route("/miniapp/v1/auth/login", methods=["POST"])
        def miniapp_login():
            return jsonify(token="x")

    app.register_blueprint(bp)


@pytest.fixture
def routes(app):
    _test_routes(app)
    return app


def _ip(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"10.0.0.{n}"}}


def _account_headers(app, db):
    account = make_account(db)
    db.flush()
    return account_headers(app, account)


def _assert_429(resp, max_retry: int = 60):
    assert resp.status_code == 429, resp.json
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}
    assert resp.json["reason"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= max_retry
    return resp


@pytest.mark.parametrize("path", ["/staff/v1/auth/login", "/miniapp/v1/auth/login"])
def test_login_is_limited_per_ip(routes, client, path):
    # Empty bodies: the limit counts every attempt, and no login logic (nor WeChat) is involved.
    for _ in range(LOGIN):
        assert client.post(path, json={}, **_ip(1)).status_code == 422
    _assert_429(client.post(path, json={}, **_ip(1)))
    # Another IP is not affected.
    assert client.post(path, json={}, **_ip(2)).status_code == 422


def test_writes_are_limited_per_user_across_ips(routes, client, db):
    alice, bob = _account_headers(routes, db), _account_headers(routes, db)
    for n in range(WRITE):
        assert client.post("/miniapp/v1/_test/notes", headers=alice, **_ip(10 + n)).status_code == 200
    _assert_429(client.delete("/miniapp/v1/_test/notes", headers=alice, **_ip(20)))
    assert client.put("/miniapp/v1/_test/notes", headers=bob, **_ip(21)).status_code == 200
    # Reads are not write-limited.
    for _ in range(WRITE + 2):
        assert client.get("/miniapp/v1/_test/notes", headers=alice, **_ip(20)).status_code == 200


def test_writes_are_limited_per_ip_across_users(routes, client, db):
    users = [_account_headers(routes, db) for _ in range(WRITE + 1)]
    for h in users[:WRITE]:
        assert client.patch("/miniapp/v1/_test/notes", headers=h, **_ip(3)).status_code == 200
    _assert_429(client.post("/miniapp/v1/_test/notes", headers=users[WRITE], **_ip(3)))


def test_staff_writes_are_limited_per_staff_user(routes, client, db):
    user = make_staff(db, Role.DEPT_REVIEWER)
    db.flush()
    h = staff_headers(routes, user)
    for n in range(WRITE):
        assert client.post("/staff/v1/_test/notes", headers=h, **_ip(30 + n)).status_code == 200
    _assert_429(client.post("/staff/v1/_test/notes", headers=h, **_ip(40)))


def test_forged_tokens_still_count_per_ip(routes, client):
    forged = {"Authorization": "Bearer forged.token.value"}
    for _ in range(WRITE):
        assert client.post("/miniapp/v1/_test/notes", headers=forged, **_ip(5)).status_code == 401
    _assert_429(client.post("/miniapp/v1/_test/notes", headers=forged, **_ip(5)))


def test_public_writes_count_against_the_public_limit_not_the_write_limit(routes, client):
    for _ in range(WRITE + 2):
        assert client.post("/public/v1/_test/notes", **_ip(6)).status_code == 200


@pytest.mark.parametrize("path", ["/public/v1/firms/91320803MA1XXXXX0X/card", "/public/v1/cards/not-a-share-token"])
def test_public_views_are_limited_per_ip(client, path):
    # Public firm cards and shared-card views alike, whatever they answer (404 here: nothing to show).
    codes = {client.get(path, **_ip(50)).status_code for _ in range(PUBLIC)}
    assert 429 not in codes
    _assert_429(client.get(path, **_ip(50)))
    # Another client is not affected.
    assert client.get(path, **_ip(51)).status_code != 429


def test_limited_responses_carry_the_rate_limit_headers(routes, client, db):
    h = _account_headers(routes, db)
    first = client.post("/miniapp/v1/_test/notes", headers=h, **_ip(60))
    assert first.headers["X-RateLimit-Limit"] == str(WRITE)
    assert first.headers["X-RateLimit-Remaining"] == str(WRITE - 1)
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    public = client.get("/public/v1/cards/x", **_ip(61))
    assert public.headers["X-RateLimit-Limit"] == str(PUBLIC)
    # Reads outside /public/v1 are not counted, so they carry no such headers.
    assert "X-RateLimit-Limit" not in client.get("/miniapp/v1/_test/notes", headers=h, **_ip(60)).headers


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_WRITE": "1 per hour"}])
def test_retry_after_is_the_time_left_in_the_window(routes, client, db):
    h = _account_headers(routes, db)
    assert client.post("/miniapp/v1/_test/notes", headers=h).status_code == 200
    resp = _assert_429(client.post("/miniapp/v1/_test/notes", headers=h), max_retry=3600)
    assert int(resp.headers["Retry-After"]) > 3000  # not a fixed 60 s


def _second_app(engine, connection, database_url, redis_url, **overrides):
    application = create_app(make_config(database_url, redis_url, **overrides))
    database = application.extensions["database"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    _test_routes(application)
    return application


def test_apps_in_one_process_keep_their_own_counters(routes, client, db, engine, connection, database_url,
                                                      redis_url, config_overrides):
    h = _account_headers(routes, db)
    for _ in range(WRITE):
        assert client.post("/miniapp/v1/_test/notes", headers=h, **_ip(7)).status_code == 200
    other = _second_app(engine, connection, database_url, redis_url, **config_overrides)
    # Creating another app must not reset (or take over) the first app's counters.
    _assert_429(client.post("/miniapp/v1/_test/notes", headers=h, **_ip(7)))
    second = other.test_client().post("/miniapp/v1/_test/notes", headers=h, **_ip(7))
    if redis_url:
        # Two apps on one Redis are two nodes of one deployment: one shared limit.
        _assert_429(second)
    else:
        assert second.status_code == 200
    assert type(limiter.storage).__name__ == "MemoryStorage" or redis_url


def test_a_disabled_app_does_not_disable_the_others(routes, client, db, engine, connection, database_url,
                                                   redis_url, config_overrides):
    off = _second_app(engine, connection, database_url, "", **{**config_overrides, "RATELIMIT_ENABLED": False})
    h = _account_headers(routes, db)
    off_client = off.test_client()
    for _ in range(WRITE + 2):
        assert off_client.post("/miniapp/v1/_test/notes", headers=h, **_ip(8)).status_code == 200
    for _ in range(WRITE):
        assert client.post("/miniapp/v1/_test/notes", headers=h, **_ip(8)).status_code == 200
    _assert_429(client.post("/miniapp/v1/_test/notes", headers=h, **_ip(8)))


@needs_redis("the counters in a real Redis (the in-process store is covered by the other tests)")
def test_counters_live_in_redis_when_configured(routes, client, db, redis_url):
    import redis

    h = _account_headers(routes, db)
    assert client.post("/miniapp/v1/_test/notes", headers=h, **_ip(9)).status_code == 200
    with routes.app_context():
        assert type(limiter.storage).__name__ == "RedisStorage"
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*")]
    assert any("write-user" in k for k in keys) and any("write-ip" in k for k in keys)


def test_limits_fall_back_to_memory_when_redis_is_down(engine, connection, database_url):
    cfg = make_config(database_url, "", RATELIMIT_WRITE="2 per minute")
    down = create_app({**cfg.as_flask(), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
    database = down.extensions["database"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    _test_routes(down)
    c = down.test_client()
    assert [c.post("/public/v1/_test/notes").status_code for _ in range(3)] == [200, 200, 200]
    assert [c.post("/miniapp/v1/_test/notes").status_code for _ in range(3)] == [401, 401, 429]


def test_file_downloads_are_limited_per_ip_across_users(routes, client, db):
    users = [staff_headers(routes, make_staff(db, Role.CREDIT_ADMIN)) for _ in range(DOWNLOAD + 1)]
    db.flush()
    assert client.head("/staff/v1/_test/export.xlsx", headers=users[0], **_ip(30)).status_code == 200
    for hdrs in users[1:DOWNLOAD]:  # HEAD runs the view too: it counts
        assert client.get("/staff/v1/_test/export.xlsx", headers=hdrs, **_ip(30)).status_code == 200
    _assert_429(client.get("/staff/v1/_test/export.xlsx", headers=users[-1], **_ip(30)))
    assert client.get("/staff/v1/_test/export.xlsx", headers=users[-1], **_ip(31)).status_code == 200


def test_the_console_login_form_is_limited_per_ip_whatever_the_username(routes, client, db):
    """On top of the per-(username, client) throttle: the same Chinese page for every username."""
    pages = []
    for n in range(LOGIN + 2):
        resp = client.post("/staff/login", data={"username": f"guess{n}", "password": "x"}, **_ip(40))
        pages.append((resp.status_code, resp.headers.get("Retry-After")))
        if n >= LOGIN:
            assert "登录尝试过于频繁" in resp.get_data(as_text=True)
            assert resp.headers["Content-Type"].startswith("text/html")
    assert [p[0] for p in pages] == [400] * LOGIN + [429, 429]  # 400: no CSRF token, still counted
    assert all(int(p[1]) >= 1 for p in pages[LOGIN:])
    assert client.post("/staff/login", data={"username": "guess0"}, **_ip(41)).status_code == 400  # other IP

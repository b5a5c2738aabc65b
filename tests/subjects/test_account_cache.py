"""The account state behind ``account_required`` is cached, and every change shows on the next request."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import event, text, update

from backend.common.crypto import mask_id_number
from backend.common.ids import make_resident_id
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.platform.config import Config, ConfigError
from backend.platform.nearcache import NearCache, get_near_cache
from backend.platform.store import RedisStore, get_store
from backend.subjects import account_cache
from backend.subjects.models import Account
from tests.factories import make_account
from tests.factories.cards import StatementCounter, bound_account, headers, record

CARD = "/miniapp/v1/me/card"


def _card(client, hdrs):
    return client.get(CARD, headers=hdrs)


class CheckoutCounter:
    """Counts connection checkouts from the engine's pool: a request without SQL takes none."""

    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def _on(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine.pool, "checkout", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine.pool, "checkout", self._on)


def test_a_warm_card_request_runs_no_account_sql(app, client, db):
    account, me = bound_account(db)
    record(db, me.id)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200  # cold: the account state and the card get cached
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as sql, CheckoutCounter(engine) as pool:
        again = _card(client, hdrs)
    assert again.status_code == 200
    # The account state costs no SQL. The card costs its one primary-key lookup of the card version
    # (the cache keys on a version the database keeps, so losing Redis cannot bring an old card back).
    assert len(sql.statements) == 1 and "card_version" in sql.statements[0], sql.statements
    if engine.dialect.name == "postgresql":  # SQLite tests share one connection: no checkout to see
        assert pool.count == 0


def test_disabling_an_account_holds_from_the_next_request(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200

    db.get(Account, account.id).disabled = True
    db.commit()
    resp = _card(client, hdrs)
    assert resp.status_code == 403  # logging in again would not help: 403, not 401
    assert resp.json["reason"] == "account_disabled"
    assert client.get("/miniapp/v1/me", headers=hdrs).status_code == 403

    db.get(Account, account.id).disabled = False
    db.commit()
    assert _card(client, hdrs).status_code == 200


def test_a_rolled_back_disable_changes_nothing(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200
    db.get(Account, account.id).disabled = True
    db.flush()
    db.rollback()
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as sql:
        assert _card(client, hdrs).status_code == 200
    # Still a cache hit: nothing was invalidated (the card's one version lookup, no account SQL).
    assert len(sql.statements) == 1 and "card_version" in sql.statements[0], sql.statements


def test_binding_identity_shows_on_the_next_request(app, client, db):
    account = make_account(db)
    db.commit()
    hdrs = headers(app, account)
    first = _card(client, hdrs)
    assert first.status_code == 403 and first.json["reason"] == "identity_required"

    number = make_resident_id("320803", date(1987, 3, 9), 321)
    bound = client.post("/miniapp/v1/me/identity", headers=hdrs, json={"name": "李四海", "id_number": number})
    assert bound.status_code == 200, bound.json
    card = _card(client, hdrs)
    assert card.status_code == 200, card.json
    assert card.json["subject"]["id_number"] == mask_id_number(number)  # the new person's card, masked


def test_unbinding_identity_shows_on_the_next_request(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200
    acc = db.get(Account, account.id)
    acc.person_id, acc.identity_level = None, "none"
    db.commit()
    resp = _card(client, hdrs)
    assert resp.status_code == 403 and resp.json["reason"] == "identity_required"


def test_a_bulk_update_of_accounts_invalidates_every_cached_state(app, client, db):
    a, _ = bound_account(db)
    b, _ = bound_account(db)
    db.commit()
    ha, hb = headers(app, a), headers(app, b)
    assert _card(client, ha).status_code == 200 and _card(client, hb).status_code == 200
    db.execute(update(Account).where(Account.id.in_([a.id, b.id])).values(disabled=True))
    db.commit()
    assert _card(client, ha).status_code == 403
    assert _card(client, hb).status_code == 403


def test_raw_sql_changes_need_an_explicit_invalidation(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    account_cache.invalidate_accounts(db, [account.id])
    db.commit()
    assert _card(client, hdrs).status_code == 403


def test_a_stale_write_cannot_repopulate_after_invalidation(app):
    store = get_store(app)
    state, tag_before = account_cache.read(store, 42)
    assert state is None
    account_cache.bump(store, [42])  # a change committed while a slow request read the old row
    account_cache.write(store, 42, tag_before, account_cache.AccountState(True, False, 7), 60)
    assert account_cache.read(store, 42)[0] is None
    _, tag_now = account_cache.read(store, 42)
    account_cache.write(store, 42, tag_now, account_cache.AccountState(True, True, None), 60)
    assert account_cache.read(store, 42)[0] == account_cache.AccountState(True, True, None)


@pytest.mark.parametrize("payload", [{"a": "17"}, {"a": None}, {"a": True}, ["a"], {"x": 1}])
def test_a_signed_token_without_an_account_id_is_refused(app, client, payload):
    token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, payload)
    resp = _card(client, {"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_an_unknown_account_is_refused_every_time(app, client):
    hdrs = {"Authorization": f"Bearer {sign(app.config['SECRET_KEY'], ACCOUNT_TOKEN, {'a': 987654321})}"}
    assert _card(client, hdrs).json["reason"] == "account_disabled"
    assert _card(client, hdrs).json["reason"] == "account_disabled"  # the cached "missing" too


class TestWithoutTheCache:
    @pytest.fixture
    def config_overrides(self):
        return {"ACCOUNT_CACHE_TTL": 0}

    def test_every_request_reads_the_database(self, app, client, db):
        account, _ = bound_account(db)
        db.flush()  # not even committed: with the cache off the request sees it at once
        hdrs = headers(app, account)
        assert _card(client, hdrs).status_code == 200
        db.get(Account, account.id).disabled = True
        db.flush()
        assert _card(client, hdrs).status_code == 403


# --- another node's change (Redis only) ----------------------------------------------------


def _redis_only(app):
    if get_near_cache(app) is None:
        pytest.skip("another node's change reaches this process only through Redis client tracking; "
                    "runs in the PostgreSQL + Redis pass of make test")


def test_a_change_committed_on_another_node_shows_on_the_next_request(app, client, db, redis_url):
    _redis_only(app)
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200
    assert _card(client, hdrs).status_code == 200  # now served from this process's near copies
    # Another node disables the account: its own session, its own store object, no local discard here.
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    db.commit()
    assert _card(client, hdrs).status_code == 200  # nobody invalidated: the 60 s cached state
    account_cache.bump(RedisStore(redis_url), [account.id])
    assert _card(client, hdrs).status_code == 403


def test_near_cache_copies_follow_every_write(app, redis_url):
    _redis_only(app)
    store = get_store(app)
    other = RedisStore(redis_url)  # another node
    near = NearCache(redis_url, store.client, [store.prefix + "acct"])
    key = store.prefix + "acctgen:5"
    assert near.mget([key]) == [None]
    other.set("acctgen:5", b"g1")
    assert near.mget([key]) == [b"g1"]
    assert near.mget([key]) == [b"g1"]
    other.set("acctgen:5", b"g2")
    assert near.mget([key]) == [b"g2"]
    other.delete("acctgen:5")
    assert near.mget([key]) == [None]
    with pytest.raises(ValueError):
        near.mget([store.prefix + "card:5"])  # untracked keys are never held


def test_keys_read_alongside_come_in_the_same_round_trip_and_only_tracked_ones_are_held(app, redis_url):
    _redis_only(app)
    store = get_store(app)
    other = RedisStore(redis_url)
    near = NearCache(redis_url, store.client, [store.prefix + "acct"])
    key, body = store.prefix + "acctgen:7", store.prefix + "card:7"
    other.set("acctgen:7", b"g1")
    other.set("card:7", b"g1|{}")
    assert near.peek(key) == (False, None)  # nothing held: no round trip either
    assert near.mget([key], also=[body]) == [b"g1", b"g1|{}"]
    assert near.peek(key) == (True, b"g1")  # the tracked key is now held …
    other.set("card:7", b"g1|{\"x\": 1}")
    assert near.mget([key], also=[body])[1] == b'g1|{"x": 1}'  # … the other one is always read
    other.set("acctgen:7", b"g2")  # another node's write: Redis tells this process within moments
    deadline = time.monotonic() + 2
    while near.peek(key) == (True, b"g1") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert near.peek(key) == (False, None)


def test_a_lost_listener_means_reading_redis_not_stale_copies(app, redis_url):
    _redis_only(app)
    store = get_store(app)
    other = RedisStore(redis_url)
    near = NearCache(redis_url, store.client, [store.prefix + "acct"])
    key = store.prefix + "acctgen:6"
    other.set("acctgen:6", b"g1")
    assert near.mget([key]) == [b"g1"]
    near._listener.close()  # the connection drops (Redis restart, network)
    other.set("acctgen:6", b"g2")
    assert near.mget([key]) == [b"g2"]


# --- configuration ------------------------------------------------------------------------------


def test_cache_settings_come_from_the_environment():
    cfg = Config.from_env({"CARD_CACHE_TTL": "120", "ACCOUNT_CACHE_TTL": "0", "NEAR_CACHE": "0",
                           "PUBLIC_BASE_URL": "https://xy.huaian.gov.cn"})
    assert (cfg.CARD_CACHE_TTL, cfg.ACCOUNT_CACHE_TTL, cfg.NEAR_CACHE) == (120, 0, False)
    assert cfg.PUBLIC_BASE_URL == "https://xy.huaian.gov.cn"
    defaults = Config.from_env({})
    assert (defaults.CARD_CACHE_TTL, defaults.ACCOUNT_CACHE_TTL, defaults.NEAR_CACHE) == (3600, 60, True)


@pytest.mark.parametrize("env", [{"CARD_CACHE_TTL": "soon"}, {"CARD_CACHE_TTL": "0"}, {"ACCOUNT_CACHE_TTL": "-1"},
                                 {"PUBLIC_BASE_URL": "xy.huaian.gov.cn"}])
def test_bad_cache_settings_are_refused(env):
    with pytest.raises(ConfigError):
        Config.from_env(env)


def test_a_remembered_token_still_expires_and_a_forged_one_is_refused(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200
    assert _card(client, hdrs).status_code == 200  # the verified token is remembered now
    app.config["ACCESS_TOKEN_TTL"] = -1  # as if its lifetime had passed
    resp = _card(client, hdrs)
    assert resp.status_code == 401 and resp.json["reason"] == "token_expired"
    app.config["ACCESS_TOKEN_TTL"] = 7200
    forged = hdrs["Authorization"][:-2] + ("AA" if not hdrs["Authorization"].endswith("AA") else "BB")
    resp = _card(client, {"Authorization": forged})
    assert resp.status_code == 401 and resp.json["reason"] == "token_invalid"


def test_cookie_sessions_still_work_for_pages_that_use_them(app, client):
    from flask import session

    def put():
        session["step"] = "二"
        return "ok"

    app.add_url_rule("/_test/session/put", "test_session_put", put)
    app.add_url_rule("/_test/session/get", "test_session_get", lambda: session.get("step", "none"))
    assert client.get("/_test/session/get").text == "none"
    assert client.get("/_test/session/put").status_code == 200
    assert client.get("/_test/session/get").text == "二"

"""The session and account state behind ``account_required``: one read, and every change shows on the next request.

Since sessions (issue 8), a change that must throw the user out — disabling the account, unbinding or
re-binding its identity — ends the session: the old bearer gets 401 ``token_revoked`` (it used to be
403 ``account_disabled`` while the token lived on); the mini-program then refreshes, and the refresh
says why (403 ``account_disabled``).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text, update

from backend.common.crypto import mask_id_number
from backend.common.ids import make_resident_id
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.http.extensions import get_store
from backend.platform.config import Config, ConfigError
from backend.platform.store import RedisStore
from backend.sessions import cache as session_cache
from backend.sessions.models import AuthSession, EndReason
from backend.subjects.models import Account
from tests.backends import needs_redis
from tests.factories import make_account
from tests.factories.cards import StatementCounter, bound_account, headers, person, record

CARD = "/miniapp/v1/me/card"
# Every mini-program endpoint but the card reads the session through the cache: this one stands for
# them (``GET me/card`` reads the session in the query that gives its card version, see
# test_the_card_checks_the_session_in_its_one_query below).
PROBE = "/miniapp/v1/me/card/shares"


def _card(client, hdrs):
    return client.get(CARD, headers=hdrs)


def _probe(client, hdrs):
    return client.get(PROBE, headers=hdrs)


def test_a_warm_request_runs_no_account_sql(app, client, db):
    account, me = bound_account(db)
    record(db, me.id)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200  # cold: the account state gets cached
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as sql:
        again = _probe(client, hdrs)
    assert again.status_code == 200
    # The account state costs no SQL: only the view's own query (the shares) runs.
    assert [s for s in sql.statements if "auth_sessions" in s or "accounts" in s] == [], sql.statements
    assert len(sql.statements) == 1, sql.statements


def test_the_card_checks_the_session_in_its_one_query(app, client, db):
    """``GET me/card``: the session's state and the card version come from one indexed query (no
    store read for the session), so a warm card is that query and the cached card, and any change
    to the session or the account shows on the very next card, without any invalidation."""
    account, me = bound_account(db)
    record(db, me.id)
    db.commit()
    hdrs = headers(app, account)
    assert _card(client, hdrs).status_code == 200  # cold: the card gets cached
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as sql:
        again = _card(client, hdrs)
    assert again.status_code == 200
    [statement] = sql.statements
    assert "auth_sessions" in statement and "card_version" in statement
    # Raw SQL, no invalidation at all: the card still sees it at once (the probe may serve its cache).
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    db.commit()
    assert _revoked(_card(client, hdrs))


def _revoked(resp) -> bool:
    return resp.status_code == 401 and resp.json["reason"] == "token_revoked"


def _ended(db, account_id):
    db.expire_all()
    return {s.end_reason for s in db.query(AuthSession).filter_by(account_id=account_id)}


def test_disabling_an_account_ends_its_sessions_from_the_next_request(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200

    db.get(Account, account.id).disabled = True
    db.commit()
    assert _revoked(_probe(client, hdrs))
    assert _revoked(_card(client, hdrs))
    assert _revoked(client.get("/miniapp/v1/me", headers=hdrs))
    assert _ended(db, account.id) == {EndReason.ACCOUNT_DISABLED}

    db.get(Account, account.id).disabled = False
    db.commit()
    assert _revoked(_probe(client, hdrs))  # re-enabling does not revive an ended session: log in again


def test_a_rolled_back_disable_changes_nothing(app, client, db):
    account, _ = bound_account(db)
    hdrs = headers(app, account)  # the login session is committed too: the rollback below must not end it
    db.commit()
    assert _probe(client, hdrs).status_code == 200
    assert _card(client, hdrs).status_code == 200
    db.get(Account, account.id).disabled = True
    db.flush()
    db.rollback()
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as sql:
        assert _probe(client, hdrs).status_code == 200
    # Still a cache hit: nothing was invalidated (the view's own query, no account SQL).
    assert [s for s in sql.statements if "auth_sessions" in s or "accounts" in s] == [], sql.statements
    assert _card(client, hdrs).status_code == 200  # the card reads the database: enabled, as rolled back


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


def test_unbinding_identity_ends_the_session_on_the_next_request(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200
    acc = db.get(Account, account.id)
    acc.person_id, acc.identity_level = None, "none"
    db.commit()
    assert _revoked(_probe(client, hdrs))
    assert _revoked(_card(client, hdrs))
    assert _ended(db, account.id) == {EndReason.IDENTITY_CHANGED}


def test_rebinding_to_another_person_ends_the_session_on_the_next_request(app, client, db):
    account, _ = bound_account(db)
    other = person(db, "王二")
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200
    db.get(Account, account.id).person_id = other.id
    db.commit()
    assert _revoked(_probe(client, hdrs))  # never the new person's card under the old login
    assert _revoked(_card(client, hdrs))


def test_a_flushed_redis_never_revives_an_ended_session(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200  # cached: alive
    sid = db.query(AuthSession.id).filter_by(account_id=account.id).scalar()
    store = get_store(app)
    # A slow request read the tag while the session was alive …
    _, tag = session_cache.read(store, sid, account.id)
    db.get(Account, account.id).disabled = True
    db.commit()
    # … Redis loses its data (restart, failover, FLUSHDB) and the slow request writes "alive" back.
    if getattr(store, "client", None) is not None:
        store.client.flushdb()
    else:
        store.clear()
    session_cache.write(store, sid, account.id, tag, session_cache.SessionState(True, None), 60)
    assert _revoked(_probe(client, hdrs))
    assert _revoked(_probe(client, hdrs))


def test_a_bulk_update_of_accounts_invalidates_every_cached_state(app, client, db):
    a, _ = bound_account(db)
    b, _ = bound_account(db)
    db.commit()
    ha, hb = headers(app, a), headers(app, b)
    assert _probe(client, ha).status_code == 200 and _probe(client, hb).status_code == 200
    db.execute(update(Account).where(Account.id.in_([a.id, b.id])).values(disabled=True))
    db.commit()
    assert _revoked(_probe(client, ha))  # the join sees the disabled account, the epoch drops the entries
    assert _revoked(_probe(client, hb))


def test_raw_sql_changes_need_an_explicit_invalidation(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    session_cache.invalidate_accounts(db, [account.id])
    db.commit()
    assert _revoked(_probe(client, hdrs))


def test_a_stale_write_cannot_repopulate_after_invalidation(app):
    store = get_store(app)
    state, tag_before = session_cache.read(store, 9, 42)
    assert state is None
    session_cache.bump(store, [42])  # a change committed while a slow request read the old row
    session_cache.write(store, 9, 42, tag_before, session_cache.SessionState(True, 7), 60)
    assert session_cache.read(store, 9, 42)[0] is None
    _, tag_now = session_cache.read(store, 9, 42)
    session_cache.write(store, 9, 42, tag_now, session_cache.SessionState(False), 60)
    assert session_cache.read(store, 9, 42)[0] == session_cache.SessionState(False)


@pytest.mark.parametrize("payload", [{"a": "17", "sid": 1}, {"a": None, "sid": 1}, {"a": True, "sid": 1}, ["a"],
                                     {"x": 1}, {"a": 1}, {"a": 1, "sid": "1"}, {"a": 1, "sid": False}])
def test_a_signed_token_without_an_account_id_is_refused(app, client, payload):
    token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, payload)
    resp = _probe(client, {"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_an_unknown_session_is_refused_every_time(app, client, db):
    hdrs = {"Authorization": f"Bearer {sign(app.config['SECRET_KEY'], ACCOUNT_TOKEN, {'a': 987654321, 'sid': 5})}"}
    assert _revoked(_probe(client, hdrs))
    assert _revoked(_probe(client, hdrs))  # the cached "missing" too
    a, _ = bound_account(db)
    b, _ = bound_account(db)
    db.commit()
    headers(app, b)  # b logs in
    other_sid = db.query(AuthSession.id).filter_by(account_id=b.id).scalar()
    db.commit()
    mixed = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": a.id, "sid": other_sid})  # b's session, a's id
    assert _revoked(_probe(client, {"Authorization": f"Bearer {mixed}"}))


class TestWithoutTheCache:
    @pytest.fixture
    def config_overrides(self):
        return {"ACCOUNT_CACHE_TTL": 0}

    def test_every_request_reads_the_database(self, app, client, db):
        account, _ = bound_account(db)
        db.flush()  # not even committed: with the cache off the request sees it at once
        hdrs = headers(app, account)
        assert _probe(client, hdrs).status_code == 200
        db.get(Account, account.id).disabled = True
        db.flush()
        assert _revoked(_probe(client, hdrs))


# --- another node's change ---------------------------------------------------------------------


@needs_redis("another node shares the entries only through Redis")
def test_a_change_committed_on_another_node_shows_once_it_invalidates(app, client, db, redis_url):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200
    # Another node disables the account with raw SQL: its own session, its own store object.
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    db.commit()
    assert _probe(client, hdrs).status_code == 200  # nobody invalidated: the cached state (at most the TTL)
    session_cache.bump(RedisStore(redis_url), [account.id])
    assert _revoked(_probe(client, hdrs))


# --- configuration ------------------------------------------------------------------------------


def test_cache_settings_come_from_the_environment():
    cfg = Config.from_env({"CARD_CACHE_TTL": "120", "ACCOUNT_CACHE_TTL": "0",
                           "PUBLIC_BASE_URL": "https://xy.huaian.gov.cn"})
    assert (cfg.CARD_CACHE_TTL, cfg.ACCOUNT_CACHE_TTL) == (120, 0)
    assert cfg.PUBLIC_BASE_URL == "https://xy.huaian.gov.cn"
    defaults = Config.from_env({})
    assert (defaults.CARD_CACHE_TTL, defaults.ACCOUNT_CACHE_TTL) == (3600, 60)


@pytest.mark.parametrize("env", [{"CARD_CACHE_TTL": "soon"}, {"CARD_CACHE_TTL": "0"}, {"ACCOUNT_CACHE_TTL": "-1"},
                                 {"PUBLIC_BASE_URL": "xy.huaian.gov.cn"}])
def test_bad_cache_settings_are_refused(env):
    with pytest.raises(ConfigError):
        Config.from_env(env)


def test_a_used_token_still_expires_and_a_forged_one_is_refused(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200
    assert _probe(client, hdrs).status_code == 200  # the session's state is cached now
    app.config["ACCESS_TOKEN_TTL"] = -1  # as if its lifetime had passed
    resp = _probe(client, hdrs)
    assert resp.status_code == 401 and resp.json["reason"] == "token_expired"
    app.config["ACCESS_TOKEN_TTL"] = 7200
    forged = hdrs["Authorization"][:-2] + ("AA" if not hdrs["Authorization"].endswith("AA") else "BB")
    resp = _probe(client, {"Authorization": forged})
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


@needs_redis("Redis stops answering and comes back")
def test_an_end_redis_missed_is_retried_and_the_old_entry_never_served(app, client, db, redis_url):
    import redis

    from tests.platform.test_outage import _closed_port

    account, _ = bound_account(db)
    db.commit()
    hdrs = headers(app, account)
    assert _probe(client, hdrs).status_code == 200  # cached: alive (the session-cached endpoints; me/card reads its session with the card version)
    store, invalidator = get_store(app), app.extensions["session_invalidator"]
    live = store.client
    store.outage.retry_after = 0  # let every call try Redis: each failure below is a real one
    store.client = redis.Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_timeout=1,
                                        socket_connect_timeout=1)
    db.get(Account, account.id).disabled = True  # ends the sessions; the bump after commit fails
    db.commit()
    assert invalidator.pending == {account.id}
    assert _revoked(_probe(client, hdrs))  # Redis down: the database answers
    store.client = live  # Redis answers again, still holding the old "alive" entry …
    sid = db.query(AuthSession.id).filter_by(account_id=account.id).scalar()
    assert session_cache.read(store, sid, account.id)[0].usable
    assert _revoked(_probe(client, hdrs))  # … but the retried bump comes first: never served
    assert invalidator.pending == frozenset()
    assert _revoked(_probe(client, hdrs))

"""The card cache: hits assemble nothing, committed changes show at once, rollbacks and stale
writes don't, and a key-value store that loses its data (FLUSHDB, a restart, an old snapshot)
never brings an older card back."""

from __future__ import annotations

import pytest

from backend.cards.cache import CardCache, card_key, card_version, view_key
from backend.http.extensions import get_store
from backend.platform.store import RedisStore
from backend.records.models import CreditRecord
from backend.subjects.changes import subject_changed
from tests.factories.cards import StatementCounter, bound_account, firm, headers, listing, record

CARD = "/miniapp/v1/me/card"
# What the card's assembly reads; a hit reads none of them (only the account and the card version).
ASSEMBLY_TABLES = ("credit_records", "list_entries", "commitments", "persons")


def _card(app, client, account):
    # Headers may be a dict already: touching an expired ORM object would itself run a query.
    hdrs = account if isinstance(account, dict) else headers(app, account)
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 200, resp.json
    return resp.json


def _assembly(statements: list[str]) -> list[str]:
    return [s for s in statements if any(t in s for t in ASSEMBLY_TABLES)]


def _lose_everything(store) -> None:
    """What a Redis restart without persistence or a FLUSHDB does (the in-process store: a restart)."""
    if isinstance(store, RedisStore):
        store.client.flushdb()
    else:
        store.clear()


def test_second_read_is_served_from_the_cache(app, client, db):
    account, me = bound_account(db)
    record(db, me.id)
    db.flush()
    engine = app.extensions["database"].engine

    with StatementCounter(engine) as cold:
        first = _card(app, client, account)
    with StatementCounter(engine) as warm:
        second = _card(app, client, account)

    assert len(_assembly(cold.statements)) >= 3
    assert _assembly(warm.statements) == [], warm.statements
    # The account check (auth's, at most one) and the card version: one primary-key lookup.
    assert len(warm.statements) <= 2, warm.statements
    assert second == first


def test_committed_change_shows_and_rolled_back_change_does_not(app, client, db):
    account, me = bound_account(db)
    rec = record(db, me.id, title="原处罚")
    account = headers(app, account)  # the login session is committed too: the rollback below must not end it
    db.commit()
    assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["公示中"]
    version = card_version(db, me.id)

    # Rolled back: the version stays, the cached card is still a hit.
    db.get(CreditRecord, rec.id).status = "objected"
    subject_changed(db, [me.id], "test: objection")
    db.rollback()
    assert card_version(db, me.id) == version
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as after_rollback:
        assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["公示中"]
    assert _assembly(after_rollback.statements) == [], after_rollback.statements

    # Committed: the next read shows the new status.
    db.get(CreditRecord, rec.id).status = "objected"
    subject_changed(db, [me.id], "test: objection")
    db.commit()
    assert card_version(db, me.id) > version
    assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["异议中"]

    # After a rollback, the next transaction's change still shows.
    subject_changed(db, [me.id], "test: abandoned")
    db.rollback()
    record(db, me.id, title="新处罚")
    subject_changed(db, [me.id, None], "test: new record")
    db.commit()
    assert {r["title"] for r in _card(app, client, account)["records"]} == {"原处罚", "新处罚"}


def test_a_stale_write_cannot_repopulate_after_a_change(app, db):
    cards = CardCache(get_store(app))
    account, me = bound_account(db)
    db.commit()
    before = card_version(db, me.id)  # a slow request read the version, then assembled the old card …
    subject_changed(db, [me.id], "test: a change committed meanwhile")
    db.commit()
    cards.write(me.id, before, b'{"old": true}')  # … and writes it after the change
    now = card_version(db, me.id)
    assert cards.read(me.id, now) is None
    cards.write(me.id, now, b'{"new": true}')
    assert cards.read(me.id, now) == b'{"new": true}'


def test_a_change_never_reads_or_stores_its_own_uncommitted_card(app, db):
    """Inside the changing transaction the card is assembled fresh and not stored: a rollback
    would otherwise leave an entry under a version the next change reuses."""
    from backend.cards.services import load_card

    cards = app.extensions["card_cache"]
    account, me = bound_account(db)
    db.commit()
    load_card(db, me.id, cards)  # cached under the committed version
    record(db, me.id, title="未提交的处罚")
    subject_changed(db, [me.id], "test: pending")
    assert [r["title"] for r in load_card(db, me.id, cards)["records"]] == ["未提交的处罚"]
    db.rollback()
    assert cards.read(me.id, card_version(db, me.id) + 1) is None
    assert load_card(db, me.id, cards)["records"] == []


def test_cached_card_holds_no_plaintext_identity(app, client, db):
    account, me = bound_account(db)
    db.flush()
    _card(app, client, account)
    stored = get_store(app).get(card_key(me.id))
    assert stored
    text = stored.decode()
    assert me.id_number not in text and me.name not in text
    assert me.id_number[-4:] in text  # the masked form is there
    view = get_store(app).get(view_key(me.id, "owner"))  # the rendered card kept next to it: masked too
    assert view and me.id_number not in view.decode() and me.name not in view.decode()


# --- a store that forgets, or remembers too much ------------------------------------------------


@pytest.mark.parametrize("restore_old_snapshot", [False, True], ids=["flushed", "old-snapshot"])
def test_me_card_never_shows_the_old_state_after_the_store_loses_its_data(app, client, db, restore_old_snapshot):
    account, me = bound_account(db)
    record(db, me.id, title="原处罚")
    db.commit()
    hdrs = headers(app, account)
    store = get_store(app)
    before = _card(app, client, hdrs)
    old_entry = store.get(card_key(me.id))
    assert old_entry and [r["title"] for r in before["records"]] == ["原处罚"]

    record(db, me.id, title="后来的处罚")
    subject_changed(db, [me.id], "record.create")  # what the records service calls
    db.commit()
    _lose_everything(store)  # between the change and the read
    if restore_old_snapshot:  # a failover to a replica, or a restart from an older RDB file
        store.set(card_key(me.id), old_entry)

    after = _card(app, client, hdrs)
    assert {r["title"] for r in after["records"]} == {"原处罚", "后来的处罚"}
    _lose_everything(store)
    assert {r["title"] for r in _card(app, client, hdrs)["records"]} == {"原处罚", "后来的处罚"}


@pytest.mark.parametrize("restore_old_snapshot", [False, True], ids=["flushed", "old-snapshot"])
def test_public_card_shows_a_serious_listing_after_the_store_loses_its_data(app, client, db, restore_old_snapshot):
    f = firm(db)
    db.commit()
    store = get_store(app)
    path = f"/public/v1/firms/{f.uscc}/card"

    def serious(resp) -> bool:
        assert resp.status_code == 200, resp.json
        return {s["list_type"]: s["listed"] for s in resp.json["list_status"]}["serious"]

    assert serious(client.get(path)) is False
    old_entry = store.get(card_key(f.id))
    assert old_entry

    listing(db, f.id, "serious", reason="严重失信测试")  # put on the 严重失信主体名单
    subject_changed(db, [f.id], "list.add.serious")  # what the lists service calls
    db.commit()
    _lose_everything(store)
    if restore_old_snapshot:
        store.set(card_key(f.id), old_entry)

    assert serious(client.get(path)) is True
    assert serious(client.get(path)) is True  # and from the cache refilled under the new version

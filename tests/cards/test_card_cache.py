"""The card cache: hits cost no SQL, committed changes show at once, rollbacks and stale writes don't."""

from __future__ import annotations

import pytest

from backend.cards import cache
from backend.cards.cache import invalidate_card, invalidate_cards
from backend.platform.store import get_store
from backend.records.models import CreditRecord
from tests.factories.cards import StatementCounter, bound_account, headers, record


def _card(app, client, account):
    # Headers may be a dict already: touching an expired ORM object would itself run a query.
    hdrs = account if isinstance(account, dict) else headers(app, account)
    resp = client.get("/miniapp/v1/me/card", headers=hdrs)
    assert resp.status_code == 200, resp.json
    return resp.json


# With Redis, both with the per-process near copies and without them (NEAR_CACHE=0, or a listener down).
BOTH = pytest.mark.parametrize("config_overrides", [{}, {"NEAR_CACHE": False}], ids=["near", "no-near"])


@BOTH
def test_second_read_is_served_from_the_cache(app, client, db):
    account, me = bound_account(db)
    record(db, me.id)
    db.flush()
    engine = app.extensions["database"].engine

    with StatementCounter(engine) as cold:
        first = _card(app, client, account)
    with StatementCounter(engine) as warm:
        second = _card(app, client, account)

    assert len(cold.statements) > 3
    assert len(warm.statements) <= 1, warm.statements  # only the login check of the account
    assert second == first


@BOTH
def test_committed_change_shows_and_rolled_back_change_does_not_invalidate(app, client, db):
    account, me = bound_account(db)
    rec = record(db, me.id, title="原处罚")
    db.commit()
    account = headers(app, account)
    assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["公示中"]

    # Rolled back: the hook is dropped, the cached card stays (a hit: no SQL beyond the login check).
    db.get(CreditRecord, rec.id).status = "objected"
    invalidate_card(db, me.id)
    db.rollback()
    engine = app.extensions["database"].engine
    with StatementCounter(engine) as after_rollback:
        assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["公示中"]
    assert len(after_rollback.statements) <= 1, after_rollback.statements

    # Committed: the next read shows the new status.
    db.get(CreditRecord, rec.id).status = "objected"
    invalidate_card(db, me.id)
    db.commit()
    assert [r["status_label"] for r in _card(app, client, account)["records"]] == ["异议中"]

    # After a rollback, the next transaction's invalidation still works.
    invalidate_cards(db, [me.id])
    db.rollback()
    record(db, me.id, title="新处罚")
    invalidate_cards(db, [me.id, None])
    db.commit()
    assert {r["title"] for r in _card(app, client, account)["records"]} == {"原处罚", "新处罚"}


def test_a_stale_write_cannot_repopulate_after_invalidation(app, db):
    store = get_store(app)
    _, gen_before = cache.read(42, store)
    cache.bump([42], store)  # a change committed while a slow request was assembling the old card
    cache.write(42, gen_before, b'{"old": true}', store)
    assert cache.read(42, store)[0] is None
    _, gen_now = cache.read(42, store)
    cache.write(42, gen_now, b'{"new": true}', store)
    assert cache.read(42, store)[0] == b'{"new": true}'


def test_cached_card_holds_no_plaintext_identity(app, client, db):
    account, me = bound_account(db)
    db.flush()
    _card(app, client, account)
    stored = get_store(app).get(cache.card_key(me.id))
    assert stored
    text = stored.decode()
    assert me.id_number not in text and me.name not in text
    assert me.id_number[-4:] in text  # the masked form is there

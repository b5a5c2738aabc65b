"""The warm ``GET /miniapp/v1/me/card`` is answered before Flask, and only when Flask would say the same."""

from __future__ import annotations

import pytest

from backend.common.crypto import mask_name
from backend.subjects.changes import subject_changed
from backend.subjects.models import Account
from tests.factories import make_account
from tests.factories.cards import bound_account, headers, person, record

CARD = "/miniapp/v1/me/card"


def _served(app) -> int:
    return app.extensions["card_fast_path"].served


def _warm(app, client, db):
    account, me = bound_account(db)
    record(db, me.id)
    db.commit()
    hdrs = headers(app, account)
    first = client.get(CARD, headers=hdrs)  # through Flask: verifies the token, caches state and card
    assert first.status_code == 200
    return account, me, hdrs, first


def test_a_warm_card_is_the_same_answer_without_flask(app, client, db):
    _, _, hdrs, first = _warm(app, client, db)
    before = _served(app)
    again = client.get(CARD, headers=hdrs)
    assert _served(app) == before + 1
    assert again.status_code == 200
    assert again.data == first.data  # the very bytes the route rendered
    assert again.headers["Content-Type"] == first.headers["Content-Type"] == "application/json"
    assert again.headers["Content-Length"] == str(len(first.data))
    assert float(again.headers["X-Server-Time"]) >= 0 and again.headers["Server-Timing"].startswith("app;dur=")


@pytest.mark.parametrize("config_overrides", [{"CARD_FAST_PATH": False}])
def test_with_the_fast_path_off_flask_answers_every_request(app, client, db):
    _, _, hdrs, first = _warm(app, client, db)
    assert "card_fast_path" not in app.extensions
    assert client.get(CARD, headers=hdrs).data == first.data


def test_every_change_shows_on_the_next_request(app, client, db):
    account, me, hdrs, first = _warm(app, client, db)
    assert client.get(CARD, headers=hdrs).status_code == 200
    record(db, me.id, kind="admin_reward", polarity="positive")  # a new record: the card changes
    subject_changed(db, [me.id], "test: a new record")  # what every records service calls
    db.commit()
    changed = client.get(CARD, headers=hdrs)
    assert changed.status_code == 200 and changed.data != first.data
    assert len(changed.json["records"]) == len(first.json["records"]) + 1

    db.get(Account, account.id).disabled = True  # disabled: refused at once
    db.commit()
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 403 and resp.json["reason"] == "account_disabled"

    acc = db.get(Account, account.id)
    acc.disabled, acc.person_id = False, None  # identity unbound: no card
    db.commit()
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 403 and resp.json["reason"] == "identity_required"

    acc.person_id = person(db, name="李四").id  # bound to someone else: their card, never the old one
    db.commit()
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 200 and resp.json["subject"]["name"] == mask_name("李四")
    assert resp.json["subject"]["id_number"] != first.json["subject"]["id_number"]


def test_tokens_it_has_not_seen_verified_go_to_flask(app, client, db):
    _, _, hdrs, _ = _warm(app, client, db)
    other_account, _ = bound_account(db)
    db.commit()
    before = _served(app)
    assert client.get(CARD, headers=headers(app, other_account)).status_code == 200  # new token: Flask checks it
    forged = hdrs["Authorization"][:-2] + ("AA" if not hdrs["Authorization"].endswith("AA") else "BB")
    resp = client.get(CARD, headers={"Authorization": forged})
    assert resp.status_code == 401 and resp.json["reason"] == "token_invalid"
    resp = client.get(CARD, headers={"Authorization": "Basic " + hdrs["Authorization"].split()[1]})
    assert resp.status_code == 401 and resp.json["reason"] == "token_missing"
    assert _served(app) == before

    app.config["ACCESS_TOKEN_TTL"] = -1  # the remembered token's lifetime has passed
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 401 and resp.json["reason"] == "token_expired"
    assert _served(app) == before


@pytest.mark.parametrize("method, path", [("GET", CARD + "?x=1"), ("GET", CARD + "?x=%00"), ("HEAD", CARD),
                                          ("GET", CARD + "/"), ("POST", CARD)])
def test_anything_but_a_plain_get_goes_to_flask(app, client, db, method, path):
    _, _, hdrs, first = _warm(app, client, db)
    before = _served(app)
    resp = client.open(path, method=method, headers=hdrs)
    assert _served(app) == before
    if path.endswith("%00"):
        assert resp.status_code == 422 and resp.json["reason"] == "nul_character"
    elif method == "POST":
        assert resp.status_code == 405
    elif method == "HEAD":
        assert resp.status_code == 200 and resp.headers["Content-Length"] == str(len(first.data))


def test_an_account_without_identity_is_answered_by_flask(app, client, db):
    account = make_account(db)
    db.commit()
    hdrs = headers(app, account)
    for _ in range(2):
        resp = client.get(CARD, headers=hdrs)
        assert resp.status_code == 403 and resp.json["reason"] == "identity_required"
    assert _served(app) == 0


def test_without_the_rendered_view_flask_answers_and_renders_it_again(app, client, db):
    _, _, hdrs, first = _warm(app, client, db)
    app.extensions["card_views"].clear()  # a new worker, or the view aged out of this process's copies
    before = _served(app)
    resp = client.get(CARD, headers=hdrs)
    assert resp.status_code == 200 and resp.data == first.data
    assert _served(app) == before
    assert client.get(CARD, headers=hdrs).data == first.data
    assert _served(app) == before + 1

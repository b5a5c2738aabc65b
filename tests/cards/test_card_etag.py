"""Card responses carry an ETag: a client that has the current card gets 304 with no body; a
change to the card changes the tag; private cards may be kept only by the client."""

from __future__ import annotations

import pytest

from backend.subjects.changes import subject_changed
from tests.factories.cards import approve_agent, bound_account, firm, headers, record

CARD = "/miniapp/v1/me/card"


def _conditional(client, path, hdrs, cache_control):
    first = client.get(path, headers=hdrs)
    assert first.status_code == 200, first.json
    tag = first.headers["ETag"]
    assert tag and first.headers["Cache-Control"] == cache_control
    again = client.get(path, headers={**hdrs, "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag
    stale = client.get(path, headers={**hdrs, "If-None-Match": '"not-the-tag"'})
    assert stale.status_code == 200 and stale.data == first.data
    return first


def test_me_card_answers_304_to_the_current_tag_and_200_after_a_change(app, client, db):
    account, me = bound_account(db)
    record(db, me.id, title="原处罚")
    db.commit()
    hdrs = headers(app, account)
    first = _conditional(client, CARD, hdrs, "private, no-cache")

    record(db, me.id, title="新处罚")
    subject_changed(db, [me.id], "record.create")
    db.commit()
    changed = client.get(CARD, headers={**hdrs, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert {r["title"] for r in changed.json["records"]} == {"原处罚", "新处罚"}


def test_firm_card_for_its_representative_and_agent(app, client, db):
    rep_account, rep = bound_account(db)
    f = firm(db, legal_rep=rep)
    agent_account, agent = bound_account(db)
    approve_agent(db, f, agent_account, agent)
    db.commit()
    path = f"/miniapp/v1/firms/{f.uscc}/card"
    as_rep = _conditional(client, path, headers(app, rep_account), "private, no-cache")
    as_agent = _conditional(client, path, headers(app, agent_account), "private, no-cache")
    # The representative sees the name unmasked, the agent masked: different bodies, different tags.
    assert as_rep.headers["ETag"] != as_agent.headers["ETag"]
    # Another viewer's tag does not fit this viewer's card.
    resp = client.get(path, headers={**headers(app, agent_account), "If-None-Match": as_rep.headers["ETag"]})
    assert resp.status_code == 200


def test_public_card_is_public_and_conditional(app, client, db):
    f = firm(db)
    db.commit()
    path = f"/public/v1/firms/{f.uscc}/card"
    first = _conditional(client, path, {}, "public, no-cache")
    record(db, f.id, title="新处罚")
    subject_changed(db, [f.id], "record.create")
    db.commit()
    resp = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert resp.status_code == 200 and resp.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_WRITE": "1000 per minute"}])
def test_shared_card_is_private_and_conditional(app, client, db):
    account, me = bound_account(db)
    db.commit()
    resp = client.post(f"{CARD}/share", json={}, headers=headers(app, account))
    assert resp.status_code == 201, resp.json
    path = "/public/v1/cards/" + resp.json["token"]
    first = _conditional(client, path, {}, "private, no-cache")
    record(db, me.id, title="分享后新增的处罚")
    subject_changed(db, [me.id], "record.create")
    db.commit()
    resp = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert resp.status_code == 200 and [r["title"] for r in resp.json["records"]] == ["分享后新增的处罚"]

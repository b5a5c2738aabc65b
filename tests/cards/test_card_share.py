"""Sharing my credit card: signed links with QR codes, live cards, expiry, revocation, view counts."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, text

from backend.cards.models import CardShare
from backend.cards.qr import qr_png
from backend.common.models import AuditEntry
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.platform.db import utcnow
from backend.subjects.models import Account
from tests.factories import make_account
from tests.factories.cards import bound_account, headers, person, record


def _share(app, client, account, **body):
    return client.post("/miniapp/v1/me/card/share", json=body, headers=headers(app, account))


def _path(url: str) -> str:
    return url[url.index("/public/"):]


def test_share_gives_link_and_qr_and_shows_the_masked_card_as_of_now(app, client, db):
    account, me = bound_account(db)
    db.flush()

    resp = _share(app, client, account)

    assert resp.status_code == 201, resp.json
    share = resp.json
    assert share["url"] == f"http://localhost/public/v1/cards/{share['token']}"
    png = base64.b64decode(share["qr_png"])
    assert png.startswith(b"\x89PNG") and png == qr_png(share["url"])  # the QR encodes the URL
    assert share["qr_svg"].lstrip().startswith("<?xml") and "<svg" in share["qr_svg"]
    row = db.get(CardShare, share["id"])
    assert round((row.expires_at - row.created_at).total_seconds()) == 600

    # A record arriving after the share is shown: the card is live, not a snapshot.
    record(db, me.id, title="分享后新增的处罚")
    from backend.subjects.changes import subject_changed

    subject_changed(db, [me.id], "record.create")  # what the records service calls
    db.commit()

    seen = client.get(_path(share["url"]), environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert seen.status_code == 200, seen.json
    card = seen.json
    assert card["subject"]["name"] == "张**" and card["subject"]["masked"] is True
    assert card["subject"]["id_number"] == me.id_number[:6] + "********" + me.id_number[-4:]
    assert me.id_number not in seen.get_data(as_text=True)
    assert [r["title"] for r in card["records"]] == ["分享后新增的处罚"]
    assert "hints" not in card["evaluation"]
    assert card["share"]["expires_at"].startswith(row.expires_at.isoformat()[:19])
    # Kept by the viewer's browser only, and asked again every time (ETag: 304 when unchanged).
    assert seen.headers["Cache-Control"] == "private, no-cache" and seen.headers["ETag"]

    client.get(_path(share["url"]))
    listed = client.get("/miniapp/v1/me/card/shares", headers=headers(app, account)).json["items"]
    assert [(s["id"], s["status"], s["view_count"]) for s in listed] == [(share["id"], "active", 2)]
    assert listed[0]["last_viewed_at"] and listed[0]["url"] == share["url"]
    # Views are counted on the row, not audited one by one (each would take the audit chain's lock);
    # creating the share is audited.
    assert _audited(db, "card_share.view") == []
    assert [e.target_id for e in _audited(db, "card_share.create")] == [str(share["id"])]


def _audited(db, action):
    return db.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_a_disabled_owners_link_stops_at_once(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    share = _share(app, client, account).json
    assert client.get(_path(share["url"])).status_code == 200
    db.get(Account, account.id).disabled = True
    db.commit()
    gone = client.get(_path(share["url"]))
    assert gone.status_code == 410 and gone.json["reason"] in {"share_revoked", "share_owner_unavailable"}
    db.get(Account, account.id).disabled = False
    db.commit()
    assert client.get(_path(share["url"])).status_code == 410  # re-enabling does not bring old links back


def test_an_unbound_owners_link_stops_at_once(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    share = _share(app, client, account).json
    acc = db.get(Account, account.id)
    acc.person_id, acc.identity_level = None, "none"
    db.commit()
    assert client.get(_path(share["url"])).status_code == 410


def test_an_owner_changed_behind_the_orm_is_caught_at_the_view(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    share = _share(app, client, account).json
    db.execute(text("UPDATE accounts SET disabled = :d WHERE id = :id"), {"d": True, "id": account.id})
    db.commit()  # no listener saw this: the view's own check of the owner stops the link
    gone = client.get(_path(share["url"]))
    assert gone.status_code == 410 and gone.json["reason"] == "share_owner_unavailable"


def test_rebinding_revokes_the_owners_shares(app, client, db):
    account, _ = bound_account(db)
    other = person(db, "王二")
    db.commit()
    share = _share(app, client, account).json
    db.get(Account, account.id).person_id = other.id
    db.commit()
    gone = client.get(_path(share["url"]))
    assert gone.status_code == 410 and gone.json["reason"] == "share_revoked"
    db.expire_all()
    assert db.get(CardShare, share["id"]).revoked_at is not None


@pytest.mark.parametrize("ttl", [59, 86401, 0, -5, 10**12])
def test_ttl_outside_one_minute_to_one_day_is_refused(app, client, db, ttl):
    account, _ = bound_account(db)
    db.flush()
    resp = _share(app, client, account, ttl_seconds=ttl)
    assert resp.status_code == 422
    assert resp.json["reason"] == "ttl_out_of_range"
    assert "ttl_seconds" in resp.json["errors"]


@pytest.mark.parametrize("ttl", ["abc", 1.5, None, [600]])
def test_ttl_of_the_wrong_type_is_a_validation_error(app, client, db, ttl):
    account, _ = bound_account(db)
    db.flush()
    resp = _share(app, client, account, ttl_seconds=ttl)
    assert resp.status_code == 422
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


def test_share_limits_and_custom_ttl_and_base_url(app, client, db):
    app.config["PUBLIC_BASE_URL"] = "https://credit.example.gov.cn/"
    account, _ = bound_account(db)
    db.flush()
    resp = _share(app, client, account, ttl_seconds=86400)
    assert resp.status_code == 201
    assert resp.json["url"].startswith("https://credit.example.gov.cn/public/v1/cards/")
    assert _share(app, client, account, ttl_seconds=60).status_code == 201


def test_share_needs_identity(app, client, db):
    account = make_account(db)
    resp = _share(app, client, account)
    assert resp.status_code == 403 and resp.json["reason"] == "identity_required"


def test_revoked_expired_and_forged_links(app, client, db):
    account, _ = bound_account(db)
    db.flush()
    a = _share(app, client, account).json
    b = _share(app, client, account).json

    revoked = client.delete(f"/miniapp/v1/me/card/shares/{a['id']}", headers=headers(app, account))
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked" and revoked.json["url"] is None
    again = client.get(_path(a["url"]))
    assert again.status_code == 410 and again.json["reason"] == "share_revoked"

    db.get(CardShare, b["id"]).expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    expired = client.get(_path(b["url"]))
    assert expired.status_code == 410 and expired.json["reason"] == "share_expired"
    statuses = {s["id"]: s["status"] for s in
                client.get("/miniapp/v1/me/card/shares", headers=headers(app, account)).json["items"]}
    assert statuses == {a["id"]: "revoked", b["id"]: "expired"}

    forged = [
        a["token"][:-2] + ("AA" if not a["token"].endswith("AA") else "BB"),  # tampered signature
        "garbage",
        URLSafeSerializer("another-secret", salt="card-share").dumps(a["id"]),  # wrong key
        URLSafeSerializer(app.config["SECRET_KEY"], salt="card-share").dumps(999999),  # no such share
        URLSafeSerializer(app.config["SECRET_KEY"], salt="card-share").dumps("1"),  # wrong payload type
        sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": account.id}),  # another purpose's token
    ]
    for token in forged:
        resp = client.get(f"/public/v1/cards/{token}")
        assert resp.status_code == 404, token
        assert resp.json["reason"] == "share_invalid"


def test_owner_only_sees_revokes_and_gets_qr_of_own_shares(app, client, db):
    owner, _ = bound_account(db)
    other, _ = bound_account(db)
    db.flush()
    share = _share(app, client, owner).json

    png = client.get(f"/miniapp/v1/me/card/shares/{share['id']}/qr.png", headers=headers(app, owner))
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data == qr_png(share["url"])

    for method, path in (("get", f"/miniapp/v1/me/card/shares/{share['id']}/qr.png"),
                         ("delete", f"/miniapp/v1/me/card/shares/{share['id']}")):
        resp = getattr(client, method)(path, headers=headers(app, other))
        assert resp.status_code == 404 and resp.json["reason"] == "share_not_found"
    assert client.get("/miniapp/v1/me/card/shares", headers=headers(app, other)).json == {"items": []}
    assert client.get(_path(share["url"])).status_code == 200  # still live
    assert client.delete("/miniapp/v1/me/card/shares/abc", headers=headers(app, owner)).status_code == 404

    # Revoking twice is harmless and keeps the first revocation time.
    first = client.delete(f"/miniapp/v1/me/card/shares/{share['id']}", headers=headers(app, owner)).json
    second = client.delete(f"/miniapp/v1/me/card/shares/{share['id']}", headers=headers(app, owner)).json
    assert first["revoked_at"] == second["revoked_at"]


def test_at_most_twenty_live_shares(app, client, db):
    account, _ = bound_account(db)
    db.flush()
    ids = [_share(app, client, account, ttl_seconds=60).json["id"] for _ in range(20)]
    refused = _share(app, client, account)
    assert refused.status_code == 409 and refused.json["reason"] == "too_many_shares"
    client.delete(f"/miniapp/v1/me/card/shares/{ids[0]}", headers=headers(app, account))
    assert _share(app, client, account).status_code == 201

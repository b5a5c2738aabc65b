"""Every mini-program write accepts ``Idempotency-Key``; a replayed share creates nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.cards.models import CardShare
from tests.factories.cards import bound_account, headers

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Login and refresh hand out fresh tokens: replaying them would mean storing tokens in plain text.
EXEMPT = {"/miniapp/v1/auth/login", "/miniapp/v1/auth/refresh"}


def _handler(app, rule, method):
    view = app.view_functions[rule.endpoint]
    cls = getattr(view, "view_class", None)
    return getattr(cls, method.lower()) if cls is not None else view


def test_every_miniapp_write_is_idempotent_or_deliberately_exempt(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/miniapp/v1") or rule.rule in EXEMPT:
            continue
        for method in sorted((rule.methods or set()) & WRITE_METHODS):
            if not getattr(_handler(app, rule, method), "idempotent", False):
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"mini-program writes without @idempotent: {missing}"


def test_a_replayed_share_request_returns_the_same_share(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    h = {**headers(app, account), "Idempotency-Key": "share-0001"}
    first = client.post("/miniapp/v1/me/card/share", json={"ttl_seconds": 600}, headers=h)
    second = client.post("/miniapp/v1/me/card/share", json={"ttl_seconds": 600}, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"] and first.json["token"] == second.json["token"]
    assert db.execute(select(func.count()).select_from(CardShare)).scalar_one() == 1
    other = client.post("/miniapp/v1/me/card/share", json={"ttl_seconds": 900}, headers=h)
    assert other.status_code == 422 and other.json["reason"] == "idempotency_key_reused"


def test_share_without_login_is_401_before_any_validation(client):
    resp = client.post("/miniapp/v1/me/card/share", json={"ttl_seconds": "bad"})
    assert resp.status_code == 401

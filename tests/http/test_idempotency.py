"""Idempotency-Key on mini-program writes: replays, refusals, rollback, purge, concurrency.

The mini-program's own write endpoints are being built by other contexts, so a tiny test-only
endpoint (flask-smorest, with the documented decorator order) is registered on the test app. It
writes one audit row per call: a replay must write none.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import delete, func, select

from backend.app import create_app
from backend.common.audit import audit
from backend.common.models import AuditEntry, IdempotencyKey
from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import IN_FLIGHT_WAIT_MS, idempotent, purge_idempotency_keys
from backend.platform.db import utcnow
from backend.platform.errors import Conflict
from backend.sessions.models import AuthSession
from tests.backends import needs_postgres
from tests.conftest import make_config
from tests.factories import account_headers, make_account

ACTION = "test.idem_note"
URL = "/miniapp/v1/_test/idem-notes"
HOLD: dict[str, threading.Event] = {}


class NoteIn(Schema):
    text = fields.Str(required=True, validate=validate.Length(min=1, max=50))
    fail = fields.Str(load_default=None)
    hold = fields.Bool(load_default=False)


class NoteOut(Schema):
    id = fields.Int()
    text = fields.Str()


def _register_test_endpoint(app) -> None:
    blp = Blueprint(f"idem_test_{uuid.uuid4().hex[:8]}", __name__, url_prefix="/miniapp/v1/_test")

    @blp.route("/idem-notes")
    class Notes(MethodView):
        @account_required
        @idempotent
        @blp.arguments(NoteIn)
        @blp.response(201, NoteOut)
        def post(self, data):
            entry = audit(get_session(), current_actor(), ACTION, "note", None, length=len(data["text"]))
            if data["fail"] == "refuse":
                raise Conflict("test_refusal", "测试：拒绝。")
            if data["fail"] == "crash":
                raise RuntimeError("test crash")
            if data["hold"]:
                HOLD["entered"].set()
                HOLD["release"].wait(10)
            return {"id": entry.id, "text": data["text"]}

    app.extensions["smorest_api"].register_blueprint(blp)


@pytest.fixture
def api(app):
    _register_test_endpoint(app)
    return app


@pytest.fixture
def alice(api, db):
    account = make_account(db)
    db.flush()
    return account_headers(api, account)


def _effects(db) -> int:
    return db.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == ACTION)).scalar()


def _post(client, headers, body, key=None):
    h = dict(headers)
    if key is not None:
        h["Idempotency-Key"] = key
    return client.post(URL, headers=h, json=body)


def test_without_a_key_every_call_acts(client, db, alice):
    assert _post(client, alice, {"text": "a"}).status_code == 201
    assert _post(client, alice, {"text": "a"}).status_code == 201
    assert _effects(db) == 2


def test_same_key_same_body_replays_without_acting_again(client, db, alice):
    first = _post(client, alice, {"text": "你好", "hold": False}, key="k-1")
    assert first.status_code == 201
    again = client.post(URL, headers={**alice, "Idempotency-Key": "k-1", "Content-Type": "application/json"},
                        data='{ "hold": false,\n "text": "你好" }')  # same JSON, other spelling
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _effects(db) == 1


def test_same_key_other_body_is_422(client, db, alice):
    assert _post(client, alice, {"text": "a"}, key="k-2").status_code == 201
    resp = _post(client, alice, {"text": "b"}, key="k-2")
    assert resp.status_code == 422 and resp.json["reason"] == "idempotency_key_reused"
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}
    assert _effects(db) == 1


@pytest.mark.parametrize("key", ["", "   ", "x" * 129, "caf\u00e9", "a\x01b", "tab\tkey"])
def test_malformed_keys_are_422(client, db, alice, key):
    resp = _post(client, alice, {"text": "a"}, key=key)
    assert resp.status_code == 422 and resp.json["reason"] == "idempotency_key_invalid"
    assert _effects(db) == 0


@pytest.mark.parametrize("key", ["a", "x" * 128, str(uuid.uuid4()), "order 2024/10:a~b"])
def test_well_formed_keys_are_accepted(client, alice, key):
    assert _post(client, alice, {"text": "a"}, key=key).status_code == 201


def test_refused_requests_are_not_stored(client, db, alice):
    bad = _post(client, alice, {"text": ""}, key="k-3")  # validation error
    assert bad.status_code == 422 and bad.json["reason"] == "validation_failed"
    refused = _post(client, alice, {"text": "a", "fail": "refuse"}, key="k-3")  # a refusal after acting
    assert refused.status_code == 409 and refused.json["reason"] == "test_refusal"
    assert _effects(db) == 0  # the refusal's audit row was rolled back with it
    assert db.execute(select(IdempotencyKey)).first() is None
    ok = _post(client, alice, {"text": "a"}, key="k-3")  # the user fixes the input and retries
    assert ok.status_code == 201 and "Idempotent-Replayed" not in ok.headers
    assert _effects(db) == 1


def test_a_crash_leaves_no_key(client, db, alice):
    assert _post(client, alice, {"text": "a", "fail": "crash"}, key="k-4").status_code == 500
    assert db.execute(select(IdempotencyKey)).first() is None
    assert _post(client, alice, {"text": "a"}, key="k-4").status_code == 201
    assert _effects(db) == 1


def test_keys_belong_to_their_account(api, client, db, alice):
    bob = account_headers(api, make_account(db))
    db.flush()
    assert _post(client, alice, {"text": "a"}, key="shared").status_code == 201
    resp = _post(client, bob, {"text": "a"}, key="shared")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert _effects(db) == 2
    owners = db.execute(select(IdempotencyKey.owner).order_by(IdempotencyKey.id)).scalars().all()
    assert len(set(owners)) == 2 and all(o.startswith("account:") for o in owners)


def test_login_still_comes_first(api, client):
    resp = client.post(URL, headers={"Idempotency-Key": "k"}, json={"text": "a"})
    assert resp.status_code == 401


def test_purge_drops_keys_older_than_the_cutoff(client, db, alice):
    assert _post(client, alice, {"text": "old"}, key="old").status_code == 201
    assert _post(client, alice, {"text": "new"}, key="new").status_code == 201
    old = db.execute(select(IdempotencyKey).where(IdempotencyKey.key == "old")).scalar_one()
    old.created_at = utcnow() - timedelta(hours=25)
    db.flush()
    assert purge_idempotency_keys(db, utcnow() - timedelta(hours=24)) == 1
    assert db.execute(select(IdempotencyKey.key)).scalars().all() == ["new"]
    assert purge_idempotency_keys(db, timedelta(hours=24)) == 0


def test_an_expired_key_is_free_again_before_the_purge(client, db, alice):
    assert _post(client, alice, {"text": "a"}, key="day-old").status_code == 201
    row = db.execute(select(IdempotencyKey)).scalar_one()
    row.created_at = utcnow() - timedelta(hours=25)
    db.flush()
    resp = _post(client, alice, {"text": "b"}, key="day-old")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert _effects(db) == 2


# --- concurrency, with real commits on PostgreSQL ---------------------------------------------------


@pytest.fixture
def committed_app(engine, database_url, redis_url):
    """An app on its own engine: every request really commits. Cleans up what it committed."""
    application = create_app(make_config(database_url, redis_url))
    _register_test_endpoint(application)
    session = application.extensions["database"].new_session()
    account = make_account(session)
    headers = account_headers(application, account)  # its login session is committed with it
    session.commit()
    yield application, headers, f"account:{account.id}"
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.owner == f"account:{account.id}"))
    session.execute(delete(AuthSession).where(AuthSession.account_id == account.id))
    # Our rows are the tail of the chain (other tests roll back), so removing them keeps it intact.
    session.execute(delete(AuditEntry).where(AuditEntry.action == ACTION))
    session.delete(account)
    session.commit()
    session.close()
    application.extensions["database"].engine.dispose()


def _committed_effects(application) -> int:
    with application.extensions["database"].new_session() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == ACTION)).scalar()


@needs_postgres("two requests in flight at once, each committing (SQLite serialises every writer)")
def test_duplicate_while_the_first_is_in_flight_is_409(committed_app):
    application, headers, _ = committed_app
    HOLD["entered"], HOLD["release"] = threading.Event(), threading.Event()
    body = {"text": "并发", "hold": True}
    results: dict[str, object] = {}

    def first():
        results["first"] = _post(application.test_client(), headers, body, key="race-1")

    t = threading.Thread(target=first)
    t.start()
    try:
        assert HOLD["entered"].wait(10), "the first request never reached the view"
        second = _post(application.test_client(), headers, body, key="race-1")
    finally:
        HOLD["release"].set()
        t.join(15)
    assert second.status_code == 409 and second.json["reason"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    third = _post(application.test_client(), headers, {"text": "并发", "hold": True}, key="race-1")
    assert third.status_code == 201 and third.headers["Idempotent-Replayed"] == "true"
    assert third.json == results["first"].json
    assert _committed_effects(application) == 1


@needs_postgres("two requests in flight at once, each committing (SQLite serialises every writer)")
def test_two_threads_same_key_act_once(committed_app):
    application, headers, owner = committed_app
    HOLD["entered"], HOLD["release"] = threading.Event(), threading.Event()
    HOLD["release"].set()  # no holding: both race for real
    barrier = threading.Barrier(2)
    responses = []

    def go():
        client = application.test_client()
        barrier.wait(5)
        responses.append(_post(client, headers, {"text": "双击"}, key="race-2"))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert len(responses) == 2
    fresh = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    others = [r for r in responses if r not in fresh]
    assert len(fresh) == 1
    # The loser either waited (< IN_FLIGHT_WAIT_MS) and got the same answer, or was told to wait.
    assert all((r.status_code == 201 and r.json == fresh[0].json) or r.status_code == 409 for r in others)
    assert _committed_effects(application) == 1
    with application.extensions["database"].new_session() as s:
        assert s.execute(select(func.count()).select_from(IdempotencyKey)
                         .where(IdempotencyKey.owner == owner)).scalar() == 1
    assert IN_FLIGHT_WAIT_MS >= 100

"""The envelope of a request: ids in ASCII digits, bodies and lines over the limit in the JSON shape,
and stored replays that hand out no secret."""

from __future__ import annotations

import io
import runpy

from sqlalchemy import select

from backend.common.models import IdempotencyKey
from backend.http.request_guard import MAX_HEADER_FIELD, MAX_REQUEST_TARGET
from backend.platform.config import ROOT
from backend.staff.models import Role
from tests.factories import make_staff, staff_headers
from tests.factories.cards import bound_account, headers

ERROR_KEYS = {"code", "status", "message", "reason", "errors"}


def _admin(app, db):
    user = make_staff(db, Role.CREDIT_ADMIN)
    db.commit()
    return staff_headers(app, user)


def test_full_width_digits_are_not_an_id(app, client, db):
    admin = _admin(app, db)
    for path in ("/staff/v1/records/１", "/staff/v1/records/batches/１２", "/staff/v1/records/٣"):
        resp = client.get(path, headers=admin)
        assert resp.status_code == 404 and resp.json["reason"] == "not_found", path


def test_a_streamed_body_over_the_limit_is_413_not_400(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"code": "' + b"a" * (limit + 5 * 1024 * 1024) + b'"}'
    for path in ("/miniapp/v1/auth/login", "/staff/v1/records/batch"):
        resp = client.post(path, environ_overrides={
            "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked"})
        assert resp.status_code == 413 and resp.json["reason"] == "payload_too_large", path


def test_a_streamed_body_under_the_limit_is_read_whole(client):
    resp = client.post("/miniapp/v1/auth/login", environ_overrides={
        "wsgi.input": io.BytesIO(b'{"code": "dev:streamed"}'), "wsgi.input_terminated": True,
        "CONTENT_TYPE": "application/json", "HTTP_TRANSFER_ENCODING": "chunked"})
    assert resp.status_code == 200, resp.json


def test_an_over_long_request_line_or_header_is_answered_in_the_json_shape(app, client, db):
    admin = _admin(app, db)
    ordinary = client.get("/staff/v1/records?title=" + "x" * 5000, headers=admin)
    assert ordinary.status_code != 414  # a long search still reaches the view
    resp = client.get("/staff/v1/records?title=" + "x" * MAX_REQUEST_TARGET, headers=admin)
    assert resp.status_code == 414 and set(resp.json) == ERROR_KEYS and resp.json["reason"] == "uri_too_long"
    resp = client.get("/staff/v1/records", headers={**admin, "X-Note": "b" * MAX_HEADER_FIELD})
    assert resp.status_code == 431 and set(resp.json) == ERROR_KEYS and resp.json["reason"] == "header_too_large"


def test_gunicorn_lets_what_the_app_refuses_reach_the_app():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # The request line is "GET <target> HTTP/1.1": gunicorn must pass the app's longest target.
    assert conf["limit_request_line"] > MAX_REQUEST_TARGET + len("DELETE  HTTP/1.1")
    assert conf["limit_request_line"] <= 8190  # gunicorn's largest finite value (0 would be unlimited)
    assert conf["limit_request_field_size"] > MAX_HEADER_FIELD


def test_a_replayed_share_is_stored_encrypted_and_still_replays(app, client, db):
    account, _ = bound_account(db)
    db.commit()
    hdrs = {**headers(app, account), "Idempotency-Key": "share-once-1"}
    first = client.post("/miniapp/v1/me/card/share", json={}, headers=hdrs)
    assert first.status_code == 201, first.json
    stored = db.execute(select(IdempotencyKey.response_body).where(IdempotencyKey.key == "share-once-1")).scalar_one()
    assert first.json["token"] not in stored and "qr_png" not in stored and "/public/" not in stored
    again = client.post("/miniapp/v1/me/card/share", json={}, headers=hdrs)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json

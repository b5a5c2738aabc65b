"""No ID number or phone comes back in a message, a stored error or a log line.

An ID number is fed into every query parameter, every path parameter and every top-level body
field of every route in the OpenAPI spec (the walk of tests/http/test_bad_inputs.py); every answer,
every stored batch error and every captured log line is scanned for it.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import urllib.request
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.common.ids import make_resident_id
from backend.common.privacy import mask_personal
from backend.records.models import RecordBatch
from tests.http.test_bad_inputs import METHODS, Walk, _path

# A valid resident ID of nobody registered (the issue's example shape), and a mobile number.
ID_NUMBER = make_resident_id("320803", date(1967, 8, 22), 83)
PHONE = "13905170001"
SECRETS = (ID_NUMBER, ID_NUMBER[:17], PHONE)


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": False}


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text or s.lower() in text]


def test_mask_personal_blanks_id_numbers_and_phones_only():
    assert mask_personal(f"信息类别“{ID_NUMBER}”无法识别") == f"信息类别“{'*' * 18}”无法识别"
    assert mask_personal(f"电话 {PHONE}、+86{PHONE}、139-0517-0001") == (
        f"电话 {'*' * 11}、+{'*' * 13}、{'*' * 13}")
    assert mask_personal("３２０８０３１９６７０８２２０８３Ｘ") == "*" * 18  # full-width digits too
    # Dates, counts, page bounds and a firm's public 统一社会信用代码 stay as they are.
    kept = "2026-03-05 一次最多提交10000条 应在 0 到 2147483647 之间 91320803MA000001X2"
    assert mask_personal(kept) == kept


def test_a_shifted_csv_column_does_not_store_or_serve_the_id_number(client, district, db):
    csv = f"主体代码,信息类别,决定文书号,决定日期,标题\n{district['uscc']},{ID_NUMBER},淮市监罚〔2026〕1号,2026-03-02,标题\n"
    resp = client.post("/staff/v1/records/batch", headers=district["staff"], content_type="multipart/form-data",
                       data={"file": (io.BytesIO(csv.encode()), "rows.csv")})
    assert resp.status_code == 200, resp.json
    assert resp.json["errors"][0]["field"] == "kind" and resp.json["errors"][0]["reason"] == "kind_invalid"
    assert "信息类别" in resp.json["errors"][0]["message"]
    assert not _leaks(resp.get_data(as_text=True))
    batch = db.get(RecordBatch, resp.json["batch_id"])
    assert batch is not None and not _leaks(json.dumps(batch.errors, ensure_ascii=False))
    again = client.get(f"/staff/v1/records/batches/{batch.id}", headers=district["staff"])
    assert again.status_code == 200 and not _leaks(again.get_data(as_text=True))


def test_every_field_of_a_batch_row_holding_an_id_number_is_refused_without_it(client, district, db):
    from tests.http.test_bad_inputs import _HINTS

    good = {"subject_code": district["uscc"], "kind": _HINTS["kind"], "severity": "general", "decision_no": "淮罚1号",
            "decision_date": "2026-03-02", "title": "标题", "amount_yuan": "100", "department_code": "SCJG"}
    rows = [{**good, field: ID_NUMBER} for field in good] + [{**good, field: f"号码{ID_NUMBER}"} for field in good]
    resp = client.post("/staff/v1/records/batch", headers=district["staff"], json={"rows": rows})
    assert resp.status_code == 200, resp.json
    assert resp.json["rejected"] >= len(good)
    assert not _leaks(json.dumps([e["message"] for e in resp.json["errors"]], ensure_ascii=False))
    stored = db.get(RecordBatch, resp.json["batch_id"]).errors
    assert not _leaks(json.dumps(stored, ensure_ascii=False))


def test_a_search_by_id_number_in_kind_names_the_field_not_the_value(client, district):
    resp = client.get(f"/staff/v1/records?kind={ID_NUMBER}", headers=district["staff"])
    assert resp.status_code == 422 and resp.json["reason"] == "kind_invalid"
    assert "信息类别" in resp.json["message"] and not _leaks(resp.get_data(as_text=True))


def test_no_route_echoes_an_id_number_anywhere(app, client, district, db, caplog):
    caplog.set_level(logging.INFO)
    walk = Walk(app, client, district, client.get("/openapi.json").get_json())
    leaks: list[str] = []

    def send(method, path, label, **kwargs):
        resp = walk.send(method, path, label, **kwargs)
        # A refusal is scanned whole. An accepted write may show what its author saved (a holiday's
        # name on the calendar): there only the messages and row errors it carries are scanned.
        body = resp.get_json(silent=True)
        said = resp.get_data(as_text=True) if resp.status_code >= 400 or not isinstance(body, dict) \
            else json.dumps([body.get("message"), body.get("errors")], ensure_ascii=False)
        if resp.status_code >= 400 or isinstance(body, dict):
            found = _leaks(said)
        else:
            found = []
        if found:
            leaks.append(f"{method} {path[:100]} [{label}] → {resp.status_code}: {resp.get_data(as_text=True)[:200]}")

    for rule_obj in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        rule = rule_obj.rule
        for method in sorted(m for m in rule_obj.methods if m in METHODS):
            for name in rule_obj.arguments:
                send(method, _path(walk, rule, method, (name, ID_NUMBER)), f"path {name}")
            operation = walk.operation(rule, method)
            base = _path(walk, rule, method)
            for param in (p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"):
                send(method, f"{base}?{param}={ID_NUMBER}", f"query {param}")
            schema = walk.body_schema(rule, method) if method != "GET" else None
            sample = walk.sample("", schema) if schema else None
            if isinstance(sample, dict):
                for field in [*sample, "unknown_field", ID_NUMBER]:
                    body = {**sample, field: ID_NUMBER} if field != ID_NUMBER else {**sample, ID_NUMBER: 1}
                    send(method, base, f"body {field[:20]}", data=json.dumps(body), content_type="application/json")
                    # The phone shape too, and the ID number inside a longer text.
                    body = {**sample, field: f"电话{PHONE}，号码{ID_NUMBER}。"} if field != ID_NUMBER else body
                    send(method, base, f"body {field[:20]} text", data=json.dumps(body), content_type="application/json")

    assert walk.sent > 200  # the walk did reach the API
    assert not walk.problems, "\n".join(walk.problems[:20])
    assert not leaks, f"{len(leaks)} of {walk.sent} answers:\n" + "\n".join(leaks[:30])
    stored = db.execute(select(RecordBatch.errors)).scalars().all()
    assert not _leaks(json.dumps(stored, ensure_ascii=False))
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert not _leaks(logged), [line for line in logged.splitlines() if _leaks(line)][:5]


def test_the_development_server_logs_paths_without_their_query(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/staff/v1/records?subject_code={ID_NUMBER}&phone={PHONE}"
        try:
            urllib.request.urlopen(url, timeout=10).read()
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        server.shutdown()
        thread.join(5)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(re.search(r"GET /staff/v1/records HTTP/1.1", line) for line in lines), lines
    assert not _leaks("\n".join(lines))

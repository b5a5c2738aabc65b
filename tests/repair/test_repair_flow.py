"""信用修复 end to end (issue 11's check): eligibility of a 一般 penalty decided two months ago (not yet,
with the date) and of one decided eight months ago (eligible, with the score repair would give),
apply, the department reviewer decides, the record leaves the public card and the score is the one
announced; the 查询码 works typed in lower case; refusal says when to try again; withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.calendar.workdays import add_working_days
from backend.common.clock import china_today
from backend.common.models import AuditEntry
from backend.evaluation.services import evaluate_subject
from backend.lists.models import ListEntry, ListEntryStatus
from backend.lists.services import add_list_entry
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord, RecordStatus
from tests.queues.helpers import actor_of
from tests.repair.helpers import apply, world

ITEMS = "/staff/v1/queues/items"


@pytest.fixture
def w(app, db):
    return world(app, db)


def _eligibility(client, w, record):
    resp = client.get(f"/miniapp/v1/records/{record.id}/repair-eligibility", headers=w["h"])
    assert resp.status_code == 200, resp.json
    return resp.json


def _item(db, app_id: int) -> QueueItem:
    return db.execute(select(QueueItem).where(QueueItem.kind == "repair", QueueItem.ref_id == app_id)).scalar_one()


def _public_card(client, w):
    return client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json


def test_two_months_old_penalty_is_not_yet_repairable_with_the_date_and_the_rule(client, w):
    body = _eligibility(client, w, w["recent"])
    min_end = w["recent"].publicity_min_end
    assert (body["route"], body["eligible"], body["earliest_date"]) == ("not_yet", False, min_end.isoformat())
    assert f"{min_end.year}年{min_end.month}月{min_end.day}日起可申请信用修复" in body["message"]
    assert body["rule"]["version"] == "ndrc-repair-2026" and "2025年第36号" in body["rule"]["basis"]
    assert body["handling"]["department_working_days"] == 3 and body["handling"]["platform_working_days"] == 10
    missing = {m["code"]: m for m in body["missing"]}
    assert missing["min_period"]["done"] is False and missing["obligation"]["done"] is False
    assert missing["commitment"]["done"] is False and "信用修复承诺书" in missing["commitment"]["detail"]
    # …and filing anyway is refused with the same date
    resp = apply(client, w, [w["recent"].id])
    assert resp.status_code == 422 and resp.json["reason"] == "repair_not_yet"
    assert resp.json["errors"]["earliest_date"] == min_end.isoformat()


def test_card_hint_and_eligibility_say_the_same(client, w):
    card = client.get(f"/miniapp/v1/firms/{w['firm'].uscc}/card", headers=w["h"]).json
    notes = {i["record_id"]: i["note"] for i in card["evaluation"]["explanation"] if i.get("record_id")}
    for record in (w["recent"], w["old"]):
        assert _eligibility(client, w, record)["message"] in notes[record.id]


def test_eight_months_old_penalty_apply_decide_gone_from_public_card_with_the_announced_score(app, client, db, w):
    old = w["old"]
    body = _eligibility(client, w, old)
    assert (body["route"], body["eligible"]) == ("eligible", True)
    assert {m["code"]: m["done"] for m in body["missing"]}["min_period"] is True
    predicted = body["if_repaired"]
    assert predicted["score"] > body["current"]["score"] and predicted["change"] > 0
    before = _public_card(client, w)
    assert {c["kind"]: c["count"] for c in before["record_counts"]}["admin_penalty"] == 2
    assert any(r["title"] == old.title for r in before["evaluation"]["reasons"])

    resp = apply(client, w, [old.id])
    assert resp.status_code == 201, resp.json
    filed = resp.json
    today = china_today()
    assert filed["status_label"] == "办理中" and len(filed["proofs"]) == 1 and len(filed["query_code"]) == 10
    assert filed["current_step"]["deadline"] == add_working_days(db, today, 3).isoformat()
    assert "3个工作日" in filed["current_step"]["basis"]
    assert filed["answer_due"] == add_working_days(db, today, 10).isoformat()

    # Routed to the department that provided the record; the credit office sees it, auditors read
    item = _item(db, filed["id"])
    assert item.department_id == w["dept"].id and item.state == "deciding"
    assert item.id in [i["id"] for i in client.get(ITEMS, headers=w["hr"]).json["items"]]
    detail = client.get(f"{ITEMS}/{item.id}", headers=w["hr"]).json
    assert detail["allowed_outcomes"] and {o["outcome"] if isinstance(o, dict) else o
                                           for o in detail["allowed_outcomes"]} >= {"repair", "refuse"}

    # Duplicate open application on the record
    again = apply(client, w, [old.id])
    assert again.status_code == 409 and again.json["reason"] == "repair_open"

    resp = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "repair", "reason": "已缴清罚款，整改到位"},
                       headers=w["hr"])
    assert resp.status_code == 200, resp.json
    db.expire_all()
    assert db.get(CreditRecord, old.id).status == RecordStatus.REPAIRED

    after = _public_card(client, w)
    assert {c["kind"]: c["count"] for c in after["record_counts"]}["admin_penalty"] == 1
    assert not any(r["title"] == old.title for r in after["evaluation"]["reasons"])
    assert evaluate_subject(db, w["firm"].id).score == predicted["score"]  # what the eligibility answer said
    assert after["evaluation"]["grade"] == predicted["grade"]

    mine = client.get(f"/miniapp/v1/repairs/{filed['id']}", headers=w["h"]).json
    assert mine["status"] == "repaired" and mine["status_label"] == "已办结：准予修复"
    assert "整改到位" in mine["decision_reason"] and mine["records"][0]["status_label"] == "已修复"
    assert [s["label"] for s in mine["steps"]] == ["提交信用修复申请", "准予修复"]
    assert [a["id"] for a in client.get("/miniapp/v1/repairs", headers=w["h"]).json] == [filed["id"]]

    # The query code, typed in lower case with a space, answers status and dates only
    code = filed["query_code"]
    pub = client.get(f"/public/v1/repairs/{code[:5].lower()} {code[5:].lower()}")
    assert pub.status_code == 200, pub.json
    assert pub.json["status"] == "repaired" and pub.json["decided_on"] == today.isoformat()
    assert set(pub.json) == {"status", "status_label", "filed_on", "answer_due", "decided_on", "retry_from"}
    text = str(pub.json)
    assert w["firm"].name not in text and w["firm"].uscc not in text and old.title not in text

    audited = {a for (a,) in db.execute(select(AuditEntry.action).where(AuditEntry.action.like("repair.%")))}
    assert {"repair.file", "repair.decide"} <= audited


def test_unknown_and_malformed_query_codes_get_the_same_404(client, db):
    for code in ("23456789AB", "0000000000", "x", "ABCDEFGHJK-EXTRA-LONG", "A" * 200):
        resp = client.get(f"/public/v1/repairs/{code}")
        assert (resp.status_code, resp.json["reason"]) == (404, "repair_not_found")


def test_repair_lifts_the_list_entry_resting_on_the_record(app, client, db, w):
    entry = add_list_entry(db, actor_of(w["reviewer"]), subject_code=w["firm"].uscc, list_type="watch",
                           reason="行政处罚（一般）", record_id=w["old"].id, listed_on=china_today(),
                           legal_basis="《江苏省社会信用条例》", decision_no="淮区税重〔2026〕1号")
    db.flush()
    body = _eligibility(client, w, w["old"])
    filed = apply(client, w, [w["old"].id]).json
    item = _item(db, filed["id"])
    resp = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "repair", "reason": "准予修复"}, headers=w["hr"])
    assert resp.status_code == 200, resp.json
    db.expire_all()
    assert db.get(ListEntry, entry.id).status == ListEntryStatus.REMOVED
    mine = client.get(f"/miniapp/v1/repairs/{filed['id']}", headers=w["h"]).json
    assert "已移出" in mine["decision_reason"]
    assert evaluate_subject(db, w["firm"].id).score == body["if_repaired"]["score"]


def test_refusal_gives_the_reason_and_the_day_to_try_again(client, db, w):
    filed = apply(client, w, [w["old"].id]).json
    item = _item(db, filed["id"])
    no_reason = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "refuse", "reason": ""}, headers=w["hr"])
    assert no_reason.status_code == 422
    retry = add_working_days(db, china_today(), 5).isoformat()
    resp = client.post(f"{ITEMS}/{item.id}/decide",
                       json={"outcome": "refuse", "reason": "未提供罚款缴纳凭证原件", "retry_from": retry}, headers=w["hr"])
    assert resp.status_code == 200, resp.json
    mine = client.get(f"/miniapp/v1/repairs/{filed['id']}", headers=w["h"]).json
    assert (mine["status"], mine["decision_reason"], mine["retry_from"]) == ("refused", "未提供罚款缴纳凭证原件", retry)
    assert client.get(f"/public/v1/repairs/{filed['query_code']}").json["retry_from"] == retry
    db.expire_all()
    assert db.get(CreditRecord, w["old"].id).status == RecordStatus.PUBLICIZING
    # the record is free again: a new application is accepted
    assert apply(client, w, [w["old"].id]).status_code == 201


def test_withdrawal_closes_the_item_and_frees_the_record(client, db, w):
    filed = apply(client, w, [w["old"].id]).json
    resp = client.post(f"/miniapp/v1/repairs/{filed['id']}/withdraw", headers=w["h"])
    assert resp.status_code == 200 and resp.json["status"] == "withdrawn"
    item = _item(db, filed["id"])
    db.refresh(item)
    assert (item.is_open, item.outcome) == (False, "withdrawn")
    again = client.post(f"/miniapp/v1/repairs/{filed['id']}/withdraw", headers=w["h"])
    assert (again.status_code, again.json["reason"]) == (409, "repair_closed")
    assert apply(client, w, [w["old"].id]).status_code == 201


def test_bad_input_is_refused_with_reasons_and_nothing_personal(client, db, w):
    old = w["old"]
    cases = [
        ({"methods": []}, "methods_required"),
        ({"methods": ["bribe"]}, "method_invalid"),
        ({"statement": "  "}, "statement_required"),
        ({"proof_upload_ids": []}, "proof_required"),
        ({"proof_upload_ids": [2**31 - 1]}, "upload_invalid"),
        ({"promise_acknowledged": False}, "promise_required"),
    ]
    for over, reason in cases:
        resp = apply(client, w, [old.id], **over)
        assert resp.status_code == 422 and resp.json["reason"] == reason, (over, resp.json)
        assert w["rep"].name not in str(resp.json)
        if reason == "upload_invalid":  # the message stands next to the form's own field
            assert "proof_upload_ids" in resp.json["errors"], resp.json
    mixed = apply(client, w, [old.id, w["recent"].id])
    assert mixed.json["reason"] == "repair_not_yet"  # the young one blocks; nothing was filed
    assert db.execute(select(QueueItem.id).where(QueueItem.kind == "repair")).first() is None

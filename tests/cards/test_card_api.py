"""信用名片: my card, a firm's card for its representative and agents, and the public firm card."""

from __future__ import annotations

from backend.cards.schemas import CardSchema, PublicCardSchema
from backend.common.crypto import mask_id_number, mask_name
from tests.factories import make_account
from tests.factories.cards import approve_agent, bound_account, firm, headers, listing, person, record

ERROR_KEYS = {"code", "status", "message", "reason", "errors"}


def test_my_card_shows_my_identity_score_lists_and_records(app, client, db):
    account, me = bound_account(db)
    rec = record(db, me.id, title="拖欠水费被行政处罚")
    record(db, me.id, kind="admin_reward", polarity="positive", severity=None, title="见义勇为表彰")
    record(db, me.id, status="repaired", title="已修复的旧处罚")
    listing(db, me.id, "red")
    db.flush()

    resp = client.get("/miniapp/v1/me/card", headers=headers(app, account))

    assert resp.status_code == 200, resp.json
    card = resp.json
    assert CardSchema().validate(card) == {}
    # Masked as on every card (shown on screens, screenshotted); the full identity is GET me?reveal=true.
    assert card["subject"] == {"kind": "person", "name": mask_name("张三丰"), "id_number": mask_id_number(me.id_number),
                               "region_code": "320803", "masked": True}
    assert me.id_number not in resp.get_data(as_text=True)
    ev = card["evaluation"]
    assert ev["kind"] == "score" and 0 <= ev["score"] <= 1000 and ev["grade_label"]
    assert any(item["record_id"] == rec.id and item["points"] < 0 for item in ev["explanation"])
    assert {s["list_type"]: s["listed"] for s in card["list_status"]} == {
        "red": True, "watch": False, "serious": False, "ban": False}
    assert [e["label"] for e in card["lists"]] == ["红名单"]
    labels = {r["title"]: r["status_label"] for r in card["records"]}
    assert labels == {"拖欠水费被行政处罚": "公示中", "见义勇为表彰": "公示中", "已修复的旧处罚": "已修复"}
    counts = {c["label"]: c["count"] for c in card["record_counts"]}
    assert counts == {"行政处罚": 1, "行政奖励": 1}  # the repaired record is no longer in effect
    assert card["commitments"] == []
    assert float(resp.headers["X-Server-Time"]) > 0


def test_my_card_needs_a_bound_identity(app, client, db):
    account = make_account(db)
    resp = client.get("/miniapp/v1/me/card", headers=headers(app, account))
    assert resp.status_code == 403
    assert set(resp.json) == ERROR_KEYS
    assert resp.json["reason"] == "identity_required"
    assert "实名" in resp.json["message"]


def test_my_card_needs_login(client):
    resp = client.get("/miniapp/v1/me/card")
    assert resp.status_code == 401
    assert resp.json["reason"] == "token_missing"
    resp = client.get("/miniapp/v1/me/card", headers={"Authorization": "Bearer forged.token.value"})
    assert resp.status_code == 401


def test_firm_card_for_legal_rep_agent_and_stranger(app, client, db):
    rep_account, rep = bound_account(db, person(db, name="李四"))
    f = firm(db, legal_rep=rep)
    agent_account, agent_person = bound_account(db, person(db, name="王五"))
    approve_agent(db, f, agent_account, agent_person)
    stranger, _ = bound_account(db, person(db, name="赵六"))
    record(db, f.id)
    db.flush()
    url = f"/miniapp/v1/firms/{f.uscc.lower()}/card"

    as_rep = client.get(url, headers=headers(app, rep_account))
    assert as_rep.status_code == 200, as_rep.json
    assert as_rep.json["subject"]["legal_rep"]["name"] == "李四"
    assert as_rep.json["subject"]["uscc"] == f.uscc
    assert as_rep.json["evaluation"]["kind"] == "grade"
    assert as_rep.json["evaluation"]["grade"] in {"A", "B", "C", "D"}

    as_agent = client.get(url, headers=headers(app, agent_account))
    assert as_agent.status_code == 200
    assert as_agent.json["subject"]["legal_rep"]["name"] == "李*"
    assert as_agent.json["subject"]["masked"] is True
    assert len(as_agent.json["records"]) == 1

    as_stranger = client.get(url, headers=headers(app, stranger))
    assert as_stranger.status_code == 403
    assert as_stranger.json["reason"] == "not_firm_agent"


def test_firm_card_refuses_bad_and_unknown_codes(app, client, db):
    account, _ = bound_account(db)
    db.flush()
    bad = client.get("/miniapp/v1/firms/914403001922038217/card", headers=headers(app, account))
    assert bad.status_code == 422
    assert bad.json["reason"] == "uscc_check_digit"
    short = client.get("/miniapp/v1/firms/12345/card", headers=headers(app, account))
    assert short.status_code == 422 and short.json["reason"] == "uscc_length"
    unknown = client.get("/miniapp/v1/firms/914403001922038216/card", headers=headers(app, account))
    assert unknown.status_code == 404
    assert unknown.json["reason"] == "firm_not_found"


def test_public_firm_card_shows_public_information_only(app, client, db):
    rep = person(db, name="钱七")
    f = firm(db, legal_rep=rep, name="淮安区公开测试有限公司")
    shown = record(db, f.id, title="公示中的处罚")
    objected = record(db, f.id, status="objected", title="异议中的处罚")
    record(db, f.id, status="repaired", title="已修复的处罚")
    listing(db, f.id, "serious")
    listing(db, f.id, "watch")
    db.flush()

    resp = client.get(f"/public/v1/firms/{f.uscc}/card")

    assert resp.status_code == 200, resp.json
    card = resp.json
    assert PublicCardSchema().validate(card) == {}
    assert card["subject"]["name"] == "淮安区公开测试有限公司"
    text = resp.get_data(as_text=True)
    assert "钱" not in text and "legal_rep" not in text  # no personal data
    assert "异议中的处罚" not in text and "已修复的处罚" not in text and "records" not in card
    assert card["record_counts"] == [{"kind": "admin_penalty", "label": "行政处罚", "count": 1}]
    statuses = {s["list_type"]: s["listed"] for s in card["list_status"]}
    assert statuses == {"red": False, "serious": True, "ban": False}  # 重点关注 is not public
    reasons = card["evaluation"]["reasons"]
    assert all("record_id" not in r for r in reasons)
    assert any(r["title"] == "公示中的处罚" for r in reasons)
    assert not any(r["title"] == objected.title for r in reasons)
    assert shown.title in text
    assert card["policy"]


def test_public_firm_card_bad_code_and_unknown(client):
    assert client.get("/public/v1/firms/91440300708461136X/card").json["reason"] == "uscc_check_digit"
    resp = client.get("/public/v1/firms/91440300708461136T/card")
    assert resp.status_code == 404 and resp.json["reason"] == "firm_not_found"


def test_card_evaluation_equals_the_evaluation_context_result(app, client, db):
    from backend.evaluation.services import get_evaluation

    account, me = bound_account(db)
    record(db, me.id, severity="serious", days_ago=400, max_days=1095)
    record(db, me.id, status="objected")
    record(db, me.id, kind="admin_reward", polarity="positive", severity=None)
    listing(db, me.id, "red")
    gone = listing(db, me.id, "watch")
    gone.status = "removed"
    db.flush()

    card = client.get("/miniapp/v1/me/card", headers=headers(app, account)).json
    stored = get_evaluation(db, me.id)

    ev = card["evaluation"]
    assert (ev["score"], ev["grade"], ev["grade_label"], ev["rules_version"]) == (
        stored.score, stored.grade, stored.grade_label, stored.rules_version)
    assert [(i["record_id"], i["list_entry_id"], i["points"]) for i in ev["explanation"]] == [
        (i.record_id, i.list_entry_id, i.points) for i in stored.items]
    assert [h["message"] for h in ev["hints"]] == [h.message for h in stored.hints]
    assert [e["list_type"] for e in card["lists"]] == ["red"]

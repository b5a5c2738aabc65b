"""异议申诉 end to end: file in the mini-program, 异议中 everywhere, accept, verify, 更正 / 撤销 / 维持."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from backend.calendar.workdays import add_working_days
from backend.common.clock import china_today
from backend.common.models import AuditEntry
from backend.lists.services import add_list_entry
from backend.objections.models import Objection
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord
from tests.factories import staff_headers
from tests.factories.cards import approve_agent, bound_account, firm, headers, person
from tests.factories.lists import confirm_proposal
from tests.queues.helpers import actor_of, credit_admin, penalty, png_bytes, records_department, reviewer

URL = "/miniapp/v1/objections"
ITEMS = "/staff/v1/queues/items"


@pytest.fixture
def world(app, db):
    dept = records_department(db)
    rev = reviewer(db, dept)
    admin = credit_admin(db)
    rep = person(db, name="王五")
    account, _ = bound_account(db, rep)
    f = firm(db, legal_rep=rep, name="淮安区异议测试有限公司")
    record = penalty(db, rev, f.uscc)
    db.flush()
    return {"dept": dept, "reviewer": rev, "admin": admin, "account": account, "firm": f, "record": record,
            "h": headers(app, account), "ha": staff_headers(app, admin), "hr": staff_headers(app, rev)}


def _upload(client, h) -> int:
    resp = client.post("/miniapp/v1/uploads", data={"file": (io.BytesIO(png_bytes()), "处罚决定书.png")}, headers=h,
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _file(client, w, **over):
    body = {"record_id": w["record"].id, "ground": "wrong", "statement": "该处罚已被复议决定撤销，附复议决定书。",
            "evidence_upload_ids": [_upload(client, w["h"])], "promise_acknowledged": True, **over}
    return client.post(URL, json=body, headers=w["h"])


def _item(db, objection_id: int) -> QueueItem:
    return db.execute(select(QueueItem).where(QueueItem.kind == "objection", QueueItem.ref_id == objection_id)).scalar_one()


def _card_records(client, w):
    card = client.get(f"/miniapp/v1/firms/{w['firm'].uscc}/card", headers=w["h"]).json
    return {r["id"]: r for r in card["records"]}


def test_file_see_objected_everywhere_accept_verify_correct(app, client, db, world):
    w = world
    resp = _file(client, w)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status_label"] == "待受理" and body["ground_label"] == "信息错误" and len(body["evidence"]) == 1
    today = china_today()
    assert body["current_step"]["deadline"] == add_working_days(db, today, 2).isoformat()
    assert "2个工作日" in body["current_step"]["basis"]

    # 异议中 at once: the firm card, the public card, a public list resting on the record
    assert _card_records(client, w)[w["record"].id]["status_label"] == "异议中"
    public = client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json
    assert public["records_under_objection"] == [{"kind": "admin_penalty", "label": "行政处罚", "count": 1,
                                                  "status_label": "异议中"}]

    item = _item(db, body["id"])
    assert item.department_id == w["admin"].department_id and item.state == "pending"
    reviewer_sees = [r["id"] for r in client.get(ITEMS, headers=w["hr"]).json["items"]]
    assert item.id not in reviewer_sees  # acceptance is the credit office's
    accepted = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "accept", "reason": "材料齐全，予以受理"},
                           headers=w["ha"])
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["state"] == "verifying" and accepted.json["department"]["id"] == w["dept"].id
    assert accepted.json["deadline"] == add_working_days(db, today, 10).isoformat()
    assert accepted.json["deadline_rule"]["working_days"] == 10
    assert client.get(f"{URL}/{body['id']}", headers=w["h"]).json["status_label"] == "核实中"

    corrected = client.post(f"{ITEMS}/{item.id}/decide", headers=w["hr"], json={
        "outcome": "correct", "reason": "经核实，罚款金额录入有误", "changes": {"amount_yuan": "500", "summary": "罚款五百元"}})
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["is_open"] is False and corrected.json["outcome_label"] == "更正"

    mine = client.get(f"{URL}/{body['id']}", headers=w["h"]).json
    assert mine["status_label"] == "已办结：信息已更正" and mine["decision_reason"] == "经核实，罚款金额录入有误"
    assert [s["label"] for s in mine["steps"]] == ["提交异议申请", "受理", "更正"]
    new = db.get(CreditRecord, mine["new_record_id"])
    assert new.version == 2 and new.supersedes_id == w["record"].id and new.amount_yuan == 500
    records = _card_records(client, w)
    assert w["record"].id not in records and records[new.id]["status_label"] == "公示中"
    assert records[new.id]["summary"] == "罚款五百元"
    assert "records_under_objection" not in client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json or \
        client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json["records_under_objection"] == []


def test_revoke_lifts_the_list_entry_and_records_the_remedy(app, client, db, world):
    w = world
    entry = add_list_entry(db, actor_of(w["reviewer"]), subject_code=w["firm"].uscc, list_type="serious",
                           reason="拒不履行处罚决定", listed_on=china_today(), legal_basis="《江苏省社会信用条例》",
                           decision_no="淮区认〔2026〕1号", record_id=w["record"].id)
    confirm_proposal(db, entry, w["admin"])  # 严重失信: proposed by the department, confirmed by the credit office
    objection_id = _file(client, w).json["id"]
    listed = client.get("/public/v1/lists/serious", query_string={"per_page": 100}).json["items"]
    assert next(i for i in listed if i["uscc"] == w["firm"].uscc)["status_label"] == "异议中"

    item = _item(db, objection_id)
    client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "accept", "reason": "受理"}, headers=w["ha"])
    client.post(f"{ITEMS}/{item.id}/claim", headers=w["hr"])
    resp = client.post(f"{ITEMS}/{item.id}/decide", headers=w["hr"], json={
        "outcome": "revoke", "reason": "处罚决定已被复议撤销", "remedy": "已向相关金融机构发函说明"})
    assert resp.status_code == 200, resp.json

    mine = client.get(f"{URL}/{objection_id}", headers=w["h"]).json
    assert mine["status_label"] == "已办结：信息已撤销"
    assert f"已移出严重失信主体名单（条目{entry.id}）" in mine["remedy"] and "发函" in mine["remedy"]
    db.refresh(entry)
    assert entry.status == "removed" and "异议" in entry.removal_reason
    db.refresh(w["record"])
    assert w["record"].status == "revoked"
    assert w["firm"].uscc not in [i["uscc"] for i in client.get("/public/v1/lists/serious").json["items"]]
    assert _card_records(client, w)[w["record"].id]["status_label"] == "已撤销"


def test_refuse_incomplete_then_complete_then_refuse_not_own(app, client, db, world):
    w = world
    objection_id = _file(client, w).json["id"]
    item = _item(db, objection_id)
    no_reason = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "refuse", "reason": "材料不全"}, headers=w["ha"])
    assert no_reason.status_code == 422 and no_reason.json["reason"] == "refuse_reason_invalid"
    # A code that is not one of RefuseReason's gets the same answer, naming every code staff may choose.
    wrong = client.post(f"{ITEMS}/{item.id}/decide", headers=w["ha"],
                        json={"outcome": "refuse", "refuse_reason": "lost", "reason": "材料不全"})
    assert wrong.status_code == 422 and wrong.json["reason"] == "refuse_reason_invalid"
    assert all(code in wrong.json["message"] for code in ("not_own", "incomplete", "other"))
    resp = client.post(f"{ITEMS}/{item.id}/decide", headers=w["ha"],
                       json={"outcome": "refuse", "refuse_reason": "incomplete", "reason": "请补充复议决定书"})
    assert resp.status_code == 200 and resp.json["state"] == "awaiting_applicant" and resp.json["is_open"]
    mine = client.get(f"{URL}/{objection_id}", headers=w["h"]).json
    assert mine["status_label"] == "待补正材料" and mine["refuse_reason_label"] == "材料不全"
    assert _card_records(client, w)[w["record"].id]["status_label"] == "异议中"  # still open

    done = client.post(f"{URL}/{objection_id}/supplement", headers=w["h"],
                       json={"evidence_upload_ids": [_upload(client, w["h"])], "statement": "补充复议决定书"})
    assert done.status_code == 200 and done.json["status_label"] == "待受理" and len(done.json["evidence"]) == 2
    again = client.post(f"{URL}/{objection_id}/supplement", headers=w["h"], json={"statement": "再补"})
    assert again.status_code == 409 and again.json["reason"] == "objection_not_incomplete"

    db.refresh(item)
    assert item.state == "pending"
    resp = client.post(f"{ITEMS}/{item.id}/decide", headers=w["ha"],
                       json={"outcome": "refuse", "refuse_reason": "not_own", "reason": "该处罚对象并非本企业"})
    assert resp.status_code == 200 and not resp.json["is_open"]
    assert client.get(f"{URL}/{objection_id}", headers=w["h"]).json["status_label"] == "已办结：不予受理"
    assert _card_records(client, w)[w["record"].id]["status_label"] == "公示中"


def test_maintain_puts_the_record_back_and_only_the_providing_department_decides(app, client, db, world):
    w = world
    objection_id = _file(client, w).json["id"]
    item = _item(db, objection_id)
    client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "accept", "reason": "受理"}, headers=w["ha"])
    other = reviewer(db, records_department(db, "另一部门"))
    db.flush()
    ho = staff_headers(app, other)
    assert client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "maintain", "reason": "x"}, headers=ho).status_code == 404
    colleague = reviewer(db, w["dept"])
    db.flush()
    client.post(f"{ITEMS}/{item.id}/claim", headers=staff_headers(app, colleague))
    held = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "maintain", "reason": "x"}, headers=w["hr"])
    assert held.status_code == 409 and held.json["reason"] == "item_held_by_other"
    ok = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "maintain", "reason": "处罚事实清楚，维持"},
                     headers=staff_headers(app, colleague))
    assert ok.status_code == 200
    assert _card_records(client, w)[w["record"].id]["status_label"] == "公示中"
    assert client.get(URL, headers=w["h"]).json[0]["status_label"] == "已办结：维持原信息"
    # decided: a new objection on the same record is possible again
    assert _file(client, w, ground="inconsistent").status_code == 201


def test_person_files_on_own_record_and_me_card_shows_objected(app, client, db, world):
    w = world
    me = person(db, name="赵六")
    account, _ = bound_account(db, me)
    record = penalty(db, w["reviewer"], me.id_number, title="个人处罚")
    db.flush()
    h = headers(app, account)
    resp = client.post(URL, headers=h, json={"record_id": record.id, "ground": "not_publishable", "statement": "不应公示",
                                             "promise_acknowledged": True})
    assert resp.status_code == 201, resp.json
    card = client.get("/miniapp/v1/me/card", headers=h).json
    assert next(r for r in card["records"] if r["id"] == record.id)["status_label"] == "异议中"
    evaluation = card["evaluation"]
    assert any(i.get("note") == "异议处理中，暂不计入" for i in evaluation["explanation"])  # the rules file's switch


def test_an_agent_may_file_someone_else_gets_the_same_403_as_a_missing_record(app, client, db, world):
    w = world
    agent_person = person(db, name="孙七")
    agent, _ = bound_account(db, agent_person)
    approve_agent(db, w["firm"], agent, agent_person)
    stranger, _ = bound_account(db)
    db.flush()
    body = {"record_id": w["record"].id, "ground": "duplicate", "statement": "重复公示", "promise_acknowledged": True}
    foreign = client.post(URL, json=body, headers=headers(app, stranger))
    missing = client.post(URL, json={**body, "record_id": 2**31 - 1}, headers=headers(app, stranger))
    assert foreign.status_code == missing.status_code == 403
    assert foreign.json == missing.json and foreign.json["reason"] == "record_not_accessible"
    assert client.post(URL, json=body, headers=headers(app, agent)).status_code == 201
    second = client.post(URL, json={**body, "ground": "wrong"}, headers=w["h"])
    assert second.status_code == 409 and second.json["reason"] == "objection_open"
    objection_id = db.execute(select(Objection.id).where(Objection.record_id == w["record"].id)).scalar_one()
    assert client.get(f"{URL}/{objection_id}", headers=headers(app, stranger)).json["reason"] == "objection_not_found"


@pytest.mark.parametrize("over,reason", [
    ({"ground": "angry"}, "ground_invalid"),
    ({"promise_acknowledged": False}, "promise_required"),
    ({"statement": "   "}, "statement_required"),
    ({"evidence_upload_ids": list(range(1, 12))}, None),  # more than 10: the schema refuses
    ({"evidence_upload_ids": [2**31 - 1]}, "upload_invalid"),
])
def test_bad_objections_are_refused_and_the_record_stays_publicized(app, client, db, world, over, reason):
    w = world
    resp = _file(client, w, **over)
    assert resp.status_code == 422, resp.json
    if reason:
        assert resp.json["reason"] == reason
    assert _card_records(client, w)[w["record"].id]["status_label"] == "公示中"
    assert db.execute(select(Objection)).first() is None


def test_someone_elses_upload_cannot_be_cited(app, client, db, world):
    w = world
    other, _ = bound_account(db)
    db.flush()
    theirs = _upload(client, headers(app, other))
    resp = _file(client, w, evidence_upload_ids=[theirs])
    assert resp.status_code == 422 and resp.json["reason"] == "upload_invalid"


def test_promise_text_and_idempotent_filing(app, client, db, world):
    w = world
    assert "真实" in client.get(f"{URL}/promise").json["text"]
    body = {"record_id": w["record"].id, "ground": "wrong", "statement": "错误", "promise_acknowledged": True}
    h = {**w["h"], "Idempotency-Key": "objection-0001"}
    first = client.post(URL, json=body, headers=h)
    second = client.post(URL, json=body, headers=h)
    assert first.status_code == second.status_code == 201 and first.json["id"] == second.json["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"


def test_staff_read_the_filing_and_its_evidence_within_their_scope(app, client, db, world):
    w = world
    objection_id = _file(client, w).json["id"]
    view = client.get(f"/staff/v1/objections/{objection_id}", headers=w["ha"])
    assert view.status_code == 200 and view.json["statement"].startswith("该处罚已被复议决定撤销")
    assert "王五" not in view.get_data(as_text=True)  # the applicant is masked
    upload_id = view.json["evidence"][0]["id"]
    file = client.get(f"/staff/v1/objections/{objection_id}/evidence/{upload_id}", headers=w["ha"])
    assert file.status_code == 200 and file.mimetype == "image/png" and file.data.startswith(b"\x89PNG")
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "upload.view",
                                              AuditEntry.target_id == str(upload_id))).scalar() is not None
    # the providing department sees it only once it is routed there
    assert client.get(f"/staff/v1/objections/{objection_id}", headers=w["hr"]).status_code == 404
    assert client.get(f"/staff/v1/objections/{objection_id}/evidence/{upload_id + 999}", headers=w["ha"]).status_code == 404


def test_an_agent_whose_agency_ended_no_longer_sees_or_completes_the_firms_objection(app, client, db, world):
    w = world
    agent_person = person(db, name="孙八")
    agent, _ = bound_account(db, agent_person)
    agency = approve_agent(db, w["firm"], agent, agent_person)
    db.flush()
    ha = headers(app, agent)
    body = {"record_id": w["record"].id, "ground": "duplicate", "statement": "重复公示", "promise_acknowledged": True}
    objection_id = client.post(URL, json=body, headers=ha).json["id"]
    item = _item(db, objection_id)
    client.post(f"{ITEMS}/{item.id}/decide", headers=w["ha"],
                json={"outcome": "refuse", "refuse_reason": "incomplete", "reason": "请补充材料"})
    assert client.get(f"{URL}/{objection_id}", headers=ha).status_code == 200

    assert client.delete(f"/miniapp/v1/me/agencies/{agency.id}", headers=ha).status_code == 200  # gives it up
    gone = client.get(f"{URL}/{objection_id}", headers=ha)
    assert gone.status_code == 404 and gone.json["reason"] == "objection_not_found"
    assert client.get(URL, headers=ha).json == []
    late = client.post(f"{URL}/{objection_id}/supplement", headers=ha, json={"statement": "以前的经办人补充"})
    assert late.status_code == 404
    db.refresh(item)
    assert item.state == "awaiting_applicant"


def test_my_objections_list_reads_a_fixed_number_of_queries_whatever_its_length(app, client, db, world):
    """GET /miniapp/v1/objections read each objection's record, department and queue item one by one
    (3 queries a row); now one query each for the whole list."""
    from tests.factories.cards import StatementCounter

    w = world
    records = [w["record"], *(penalty(db, w["reviewer"], w["firm"].uscc) for _ in range(3))]
    db.flush()

    def listed() -> tuple[int, list[dict]]:
        with StatementCounter(db.get_bind().engine) as counter:
            resp = client.get(URL, headers=w["h"])
        assert resp.status_code == 200, resp.json
        return len(counter.statements), resp.json

    assert _file(client, w, record_id=records[0].id, evidence_upload_ids=[]).status_code == 201
    one, body = listed()
    assert [o["record"]["id"] for o in body] == [records[0].id]
    for rec in records[1:]:
        assert _file(client, w, record_id=rec.id, evidence_upload_ids=[]).status_code == 201
    four, body = listed()
    assert sorted(o["record"]["id"] for o in body) == sorted(r.id for r in records)
    assert all(o["record"]["department"] == w["dept"].short_name and o["current_step"]["state"] == "pending"
               and o["current_step"]["deadline"] for o in body)
    assert four == one, f"{four} statements for 4 objections, {one} for 1"

"""Repair: who may ask (IDOR), the court and market-regulation routes, the commitment, staff reading
in scope, expiry closing a pending application, and every deadline of an application filed on
2026-12-28 (and one over the Spring Festival), from the calendar table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.queues import services as queue
from backend.queues.kinds import get_kind
from backend.records.models import CreditRecord
from backend.repair.models import RepairApplication, RepairStatus
from backend.repair.services import file_repair
from backend.uploads.services import store_upload
from tests.factories import make_commitment, make_department, staff_headers
from tests.factories.cards import approve_agent, bound_account, headers, person
from tests.objections.test_objection_deadlines import walk  # the day-by-day walk over the calendar
from tests.queues.helpers import actor_of, penalty, png_bytes, records_department, reviewer
from tests.repair.helpers import apply, days_ago, tax_department, upload, world

FILED = date(2026, 12, 28)


@pytest.fixture
def w(app, db):
    return world(app, db)


def _elig(client, h, record_id):
    return client.get(f"/miniapp/v1/records/{record_id}/repair-eligibility", headers=h)


def test_someone_elses_record_looks_like_a_missing_one(app, client, db, w):
    stranger, _ = bound_account(db, person(db, name="赵旁人"))
    db.flush()
    hs = headers(app, stranger)
    theirs, missing = _elig(client, hs, w["old"].id), _elig(client, hs, 2**31 - 1)
    assert theirs.status_code == missing.status_code == 403
    assert theirs.json == missing.json and theirs.json["reason"] == "record_not_accessible"
    body = {"record_ids": [w["old"].id], "methods": ["rectify"], "statement": "已整改",
            "proof_upload_ids": [upload(client, hs)], "promise_acknowledged": True}
    resp = client.post("/miniapp/v1/repairs", json=body, headers=hs)
    assert (resp.status_code, resp.json["reason"]) == (403, "record_not_accessible")
    assert w["old"].title not in str(resp.json)
    # an application of someone else: the same 404 as a missing id, for reading and withdrawing
    filed = apply(client, w, [w["old"].id]).json
    for url in (f"/miniapp/v1/repairs/{filed['id']}", f"/miniapp/v1/repairs/{2**31 - 1}"):
        assert client.get(url, headers=hs).json["reason"] == "repair_not_found"
    assert client.post(f"/miniapp/v1/repairs/{filed['id']}/withdraw", headers=hs).status_code == 404
    assert client.get("/miniapp/v1/repairs", headers=hs).json == []


def test_an_approved_agent_applies_for_the_firm(app, client, db, w):
    agent_person = person(db, name="钱经办")
    agent, _ = bound_account(db, agent_person)
    approve_agent(db, w["firm"], agent, agent_person)
    db.flush()
    ha = headers(app, agent)
    assert _elig(client, ha, w["old"].id).json["eligible"] is True
    body = {"record_ids": [w["old"].id], "methods": ["training"], "statement": "已参加信用修复培训",
            "proof_upload_ids": [upload(client, ha)], "promise_acknowledged": True}
    assert client.post("/miniapp/v1/repairs", json=body, headers=ha).status_code == 201


def test_judicial_records_are_removed_by_the_court(app, client, db, w):
    court = make_department(db, record_kinds=["judgment_defaulter"], name="淮安区人民法院（测试）", short_name="区法院（测试）")
    judge = reviewer(db, court)
    rec = penalty(db, judge, w["firm"].uscc, kind="judgment_defaulter", severity="serious",
                  decision_date=days_ago(300), title="失信被执行人", amount_yuan=None)
    db.flush()
    body = _elig(client, w["h"], rec.id).json
    assert (body["route"], body["eligible"], body["apply_at"]) == ("court", False, "作出决定的人民法院")
    assert "人民法院" in body["message"] and "法释〔2017〕7号" in body["rule"]["basis"]
    assert body["if_repaired"] is None
    resp = apply(client, w, [rec.id])
    assert (resp.status_code, resp.json["reason"]) == (422, "repair_not_here")


def test_market_regulation_records_are_repaired_through_the_national_system(app, client, db, w):
    scjg = records_department(db)  # 区市场监管局（测试）: the market-regulation family
    rev = reviewer(db, scjg)
    rec = penalty(db, rev, w["firm"].uscc, decision_date=days_ago(240), title="未按规定公示商品价格")
    db.flush()
    body = _elig(client, w["h"], rec.id).json
    assert (body["route"], body["apply_at"]) == ("market_regulation", "国家企业信用信息公示系统")
    assert body["earliest_date"] is None  # past its minimum period: open now, no "earliest" day in the past
    assert "国家企业信用信息公示系统" in body["message"] and "107号" in body["rule"]["basis"]
    assert body["if_repaired"]["score"] > body["current"]["score"]  # what the national repair would change here
    resp = apply(client, w, [rec.id])
    assert resp.status_code == 422 and resp.json["reason"] == "repair_not_here"
    assert resp.json["errors"]["apply_at"] == "国家企业信用信息公示系统"


def test_records_of_two_departments_are_applied_for_separately(app, client, db, w):
    other = tax_department(db, 2)
    rec = penalty(db, reviewer(db, other), w["firm"].uscc, decision_date=days_ago(250), title="未按规定开具发票")
    db.flush()
    resp = apply(client, w, [w["old"].id, rec.id])
    assert (resp.status_code, resp.json["reason"]) == (422, "repair_departments_mixed")


def test_a_signed_repair_commitment_counts_and_a_catalogue_item_must_be_signed(app, client, db, w):
    signed = make_commitment(db, w["firm"].id, department_id=w["dept"].id, status="active",
                             signed=date(2026, 11, 1), commitment_type="repair")
    db.flush()
    step = {m["code"]: m for m in _elig(client, w["h"], w["old"].id).json["missing"]}["commitment"]
    assert step["done"] is True and step["commitment_id"] == signed.id
    resp = apply(client, w, [w["old"].id], promise_acknowledged=None, commitment_id=signed.id)
    assert resp.status_code == 201, resp.json
    assert resp.json["commitment_id"] == signed.id and resp.json["promise_version"] is None


def test_staff_read_in_scope_masked_and_each_proof_view_audited(app, client, db, w):
    filed = apply(client, w, [w["old"].id]).json
    outsider = staff_headers(app, reviewer(db, tax_department(db, 2)))
    assert client.get(f"/staff/v1/repairs/{filed['id']}", headers=outsider).status_code == 404
    resp = client.get(f"/staff/v1/repairs/{filed['id']}", headers=w["hr"])
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert "query_code" not in body and body["applicant"]["name"] != w["rep"].name
    assert w["rep"].id_number not in str(body)
    item_id = body["queue_item_id"]
    proof = body["proofs"][0]["id"]
    # the kind's describe hook (what the console's detail page shows): masked facts, records, files
    item = queue.get_item(db, actor_of(w["reviewer"]), item_id)
    described = get_kind("repair").description(db, actor_of(w["reviewer"]), item)
    facts = dict(described.facts)
    assert facts["修复方式"] == "整改、信用承诺" and w["rep"].name not in str(facts)
    assert (described.record_ids, described.upload_ids) == ((w["old"].id,), (proof,))
    got = client.get(f"/staff/v1/repairs/{filed['id']}/proofs/{proof}", headers=w["ha"])
    assert got.status_code == 200 and got.mimetype == "image/png"
    views = db.execute(select(AuditEntry).where(AuditEntry.action == "upload.view",
                                                AuditEntry.target_id == str(proof))).scalars().all()
    assert len(views) == 1


def test_expiry_closes_a_pending_application_with_that_reason(app, client, db, w):
    from backend.records.tasks import expire_records

    filed = apply(client, w, [w["old"].id]).json
    rec = db.get(CreditRecord, w["old"].id)
    rec.publicity_max_end = date.today() - timedelta(days=2)  # its maximum period has now passed
    db.flush()
    assert expire_records() >= 1
    db.expire_all()
    app_row = db.get(RepairApplication, filed["id"])
    assert (app_row.status, app_row.is_open) == (RepairStatus.EXPIRED, False)
    assert "最长公示期" in app_row.decision_reason
    item = queue.item_for(db, "repair", filed["id"])
    assert (item.is_open, item.outcome) == (False, "expired")
    mine = client.get(f"/miniapp/v1/repairs/{filed['id']}", headers=w["h"]).json
    assert mine["status"] == "expired" and mine["steps"][-1]["label"] == "申请已结束"
    assert client.get(f"/public/v1/repairs/{filed['query_code'].lower()}").json["status"] == "expired"


@pytest.mark.parametrize("filed", [FILED, date(2027, 2, 3)], ids=["2026-12-28", "spring-festival-2027"])
def test_every_deadline_of_an_application_filed_on_a_given_day(db, filed):
    dept = tax_department(db)
    rev = reviewer(db, dept)
    rep = person(db, name="孙期限")
    account, _ = bound_account(db, rep)
    rec = penalty(db, rev, rep.id_number, decision_date="2026-04-10", title="未按规定申报个人所得税")
    applicant = Actor("account", account.id, person_id=rep.id)
    proof = store_upload(db, applicant, content=png_bytes(), filename="凭证.png")
    app_row = file_repair(db, applicant, record_ids=[rec.id], methods=["rectify"], statement="已补缴税款",
                          proof_upload_ids=[proof.id], promise_acknowledged=True, today=filed)
    item = queue.item_for(db, "repair", app_row.id)
    decide_by, answer_by = walk(db, filed, 3), walk(db, filed, 10)
    assert (item.department_id, item.step_started_on, item.deadline, item.deadline_rule) == (
        dept.id, filed, decide_by, "repair.decide.2026")
    assert app_row.answer_due == answer_by and answer_by.year == 2027
    if filed == FILED:
        assert decide_by == date(2026, 12, 31)  # Tue 29, Wed 30, Thu 31: working days in the 2026 table
    assert app_row.rule_version == "ndrc-repair-2026"


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_WRITE": "2 per minute", "RATELIMIT_PUBLIC": "2 per minute"}])
def test_filing_and_the_public_lookup_are_rate_limited(app, client, db, config_overrides):
    w = world(app, db)
    body = {"record_ids": [w["old"].id], "methods": ["rectify"], "statement": "已整改", "proof_upload_ids": []}
    codes = [client.post("/miniapp/v1/repairs", json=body, headers=w["h"]).status_code for _ in range(3)]
    assert codes[:2] == [422, 422] and codes[2] == 429
    looks = [client.get("/public/v1/repairs/23456789AB") for _ in range(3)]
    assert [r.status_code for r in looks] == [404, 404, 429] and looks[2].json["reason"] == "rate_limited"

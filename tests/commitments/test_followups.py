"""承诺履约核查 on the queue engine: the daily job opens one item per lapsed active commitment on the
department's queue (never twice), and the department's decision — 践诺, 违诺, 撤回 — closes the
commitment through the commitments services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.calendar.workdays import add_working_days
from backend.commitments.tasks import open_commitment_followups
from backend.common.clock import china_today
from backend.queues.kinds import KINDS
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord
from backend.staff.models import Role
from tests.factories import make_department, make_firm, make_staff, seeded_department, staff_headers
from tests.queues.helpers import actor_of

TODAY = china_today()
URL = "/staff/v1/commitments"
ITEMS = "/staff/v1/queues/items"


@pytest.fixture
def w(app, db):
    firm = make_firm(db, name="淮安区履约测试餐饮有限公司")
    reviewer = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG"))
    other = make_staff(db, Role.DEPT_REVIEWER, make_department(db))
    db.commit()
    return {"firm": firm, "reviewer": reviewer, "h": staff_headers(app, reviewer), "other": staff_headers(app, other)}


def register(client, w, n, *, lapsed=True):
    until = TODAY - timedelta(days=5) if lapsed else TODAY + timedelta(days=60)
    resp = client.post(URL, headers=w["h"], json={
        "subject_code": w["firm"].uscc, "type": "disclosure", "matter": f"守法诚信经营承诺（主动公示）{n}",
        "content": "本企业承诺依法诚信经营，自觉接受社会监督。", "signed_on": (TODAY - timedelta(days=400)).isoformat(),
        "valid_until": until.isoformat(), "document_no": f"淮区信诺〔2026〕{n}号"})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def followups(client, h):
    resp = client.get(ITEMS, query_string={"kind": "commitment_followup", "per_page": 100}, headers=h)
    assert resp.status_code == 200, resp.json
    return resp.json["items"]


def decide(client, w, item_id, **body):
    return client.post(f"{ITEMS}/{item_id}/decide", json=body, headers=w["h"])


def test_the_job_opens_one_item_per_lapsed_commitment_and_none_twice(client, db, w):
    lapsed = register(client, w, 1)
    register(client, w, 2, lapsed=False)  # within its term: nothing to check yet
    kept = register(client, w, 3)
    assert client.post(f"{URL}/{kept}/close", headers=w["h"], json={"outcome": "kept", "note": "已核查"}).status_code == 200

    assert open_commitment_followups() == 1
    assert open_commitment_followups() == 0  # run twice: no duplicate
    [item] = followups(client, w["h"])
    assert (item["ref_id"], item["state"], item["department"]["code"]) == (lapsed, "pending", "SCJG")
    assert item["deadline_rule"]["code"] == "commitment_followup.check.2026"
    # due 10 working days after the term ended (2026 basis: 承诺期满后10个工作日内), not after the job ran
    assert item["deadline"] == add_working_days(db, TODAY - timedelta(days=4), 10).isoformat()
    assert followups(client, w["other"]) == []  # another department does not see it

    facts = dict(KINDS["commitment_followup"].description(db, actor_of(w["reviewer"]), db.get(QueueItem, item["id"])).facts)
    assert facts["承诺事项"] == "守法诚信经营承诺（主动公示）1" and facts["期满"] == "已期满5天"
    assert facts["承诺书编号"] == "淮区信诺〔2026〕1号" and facts["状态"] == "履约中"


def test_kept_closes_the_commitment_as_kept(client, db, w):
    cid = register(client, w, 1)
    open_commitment_followups()
    [item] = followups(client, w["h"])
    blank = decide(client, w, item["id"], outcome="kept", reason=" ")
    assert blank.status_code == 422
    resp = decide(client, w, item["id"], outcome="kept", reason="经现场核查，承诺事项均已履行")
    assert resp.status_code == 200, resp.json
    assert (resp.json["state"], resp.json["outcome"], resp.json["outcome_label"]) == ("done", "kept", "践诺")
    c = client.get(f"{URL}/{cid}", headers=w["h"]).json
    assert c["status"] == "kept" and c["status_label"] == "已履约"
    assert client.get(URL, query_string={"lapsed": "true"}, headers=w["h"]).json["total"] == 0


def test_breached_needs_the_decision_and_records_the_breach(client, db, w):
    cid = register(client, w, 1)
    open_commitment_followups()
    [item] = followups(client, w["h"])
    missing = decide(client, w, item["id"], outcome="breached", reason="未按承诺补齐材料")
    assert missing.status_code == 422 and missing.json["reason"] == "decision_no_required"
    assert client.get(f"{URL}/{cid}", headers=w["h"]).json["status"] == "active"  # nothing half done
    resp = decide(client, w, item["id"], outcome="breached", reason="未按承诺补齐材料", decision_no="淮区市监违诺〔2026〕4号")
    assert resp.status_code == 200, resp.json
    c = client.get(f"{URL}/{cid}", headers=w["h"]).json
    assert c["status"] == "breached" and c["breach_record_id"]
    record = db.get(CreditRecord, c["breach_record_id"])
    assert record.kind.value == "commitment_breach" and record.decision_no == "淮区市监违诺〔2026〕4号"
    watch = client.get("/staff/v1/lists", query_string={"subject_code": w["firm"].uscc, "type": "watch"}, headers=w["h"]).json
    assert [e["status"] for e in watch["items"]] == ["active"]  # 重点关注 with the commitment as basis


def test_withdrawn_and_closed_elsewhere(client, db, w):
    first, second = register(client, w, 1), register(client, w, 2)
    open_commitment_followups()
    items = {i["ref_id"]: i for i in followups(client, w["h"])}
    resp = decide(client, w, items[first]["id"], outcome="withdrawn", reason="登记有误，该企业未签署此承诺")
    assert resp.status_code == 200, resp.json
    assert client.get(f"{URL}/{first}", headers=w["h"]).json["status"] == "withdrawn"
    # Closed through the commitments API meanwhile: its item closes with it, and is not reopened.
    closed = client.post(f"{URL}/{second}/close", headers=w["h"], json={"outcome": "kept", "note": "已核查"})
    assert closed.status_code == 200
    item = client.get(f"{ITEMS}/{items[second]['id']}", headers=w["h"]).json
    assert (item["state"], item["outcome"]) == ("done", "closed_elsewhere")
    assert open_commitment_followups() == 0
    late = decide(client, w, items[second]["id"], outcome="kept", reason="践诺")
    assert late.status_code == 409 and late.json["reason"] == "queue_item_closed"
    opened = db.execute(select(QueueItem).where(QueueItem.kind == "commitment_followup")).scalars().all()
    assert len(opened) == 2 and not any(i.is_open for i in opened)

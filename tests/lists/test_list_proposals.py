"""严重失信 / 禁入 by proposal and confirmation (issue 13 item 1): no single reviewer blacklists anyone.

A department reviewer's request is a proposal (not on the card, not intercepting, not published) and
an item on the credit office's queue (kind ``list_proposal``); the credit office confirms it (in force,
with the legal representative's linked entry) or refuses it with a reason; whoever proposed it may
not confirm it, even from the credit office. Red and watch lists still take effect at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.common.clock import china_today
from backend.common.models import AuditEntry
from backend.queues.kinds import KINDS
from backend.queues.models import QueueItem
from backend.staff.models import Role
from tests.factories import bound_account, make_firm, make_staff, seeded_department, staff_headers
from tests.factories.cards import headers
from tests.queues.helpers import actor_of

ITEMS = "/staff/v1/queues/items"
RECENT = china_today() - timedelta(days=3)


@pytest.fixture
def world(app, db):
    account, rep = bound_account(db, name="钱法人")
    firm = make_firm(db, name="淮安区提议测试食品有限公司", legal_rep=rep)
    scjg, fgw = seeded_department(db, "SCJG"), seeded_department(db, "FGW")
    reviewer = make_staff(db, Role.DEPT_REVIEWER, scjg, display_name="孙审核")
    office = make_staff(db, Role.CREDIT_ADMIN, fgw, display_name="周信用办")
    office2 = make_staff(db, Role.CREDIT_ADMIN, fgw, display_name="吴信用办")
    db.commit()
    return {"firm": firm, "rep": rep, "account": account, "reviewer": reviewer, "office": office, "office2": office2,
            "hr": staff_headers(app, reviewer), "ho": staff_headers(app, office), "ho2": staff_headers(app, office2)}


def serious(firm, **over):
    return {"subject_code": firm.uscc, "list_type": "serious", "reason": "生产销售不符合食品安全标准的食品，情节严重",
            "legal_basis": "《市场监督管理严重违法失信名单管理办法》第九条", "decision_no": "淮区市监严〔2026〕21号",
            "listed_on": RECENT.isoformat(), **over}


def hits(client, h, code, domain=None):
    resp = client.post("/staff/v1/intercept/check", json={"subjects": [code], "domain": domain}, headers=h)
    assert resp.status_code == 200, resp.json
    return resp.json["hits"]


def decide(client, h, item_id, outcome, reason):
    return client.post(f"{ITEMS}/{item_id}/decide", json={"outcome": outcome, "reason": reason}, headers=h)


def test_a_proposal_is_not_in_force_until_the_credit_office_confirms_it(app, client, db, world):
    w = world
    grade_before = client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json["evaluation"]["grade"]
    resp = client.post("/staff/v1/lists", json=serious(w["firm"]), headers=w["hr"])
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "proposed" and resp.json["status_label"] == "待信用办确认"
    item_id = resp.json["queue_item_id"]

    # Pending: no interception, not published, the card unchanged, nothing in the legal rep's file.
    assert hits(client, w["ho"], w["firm"].uscc) == []
    assert w["firm"].uscc not in [i["uscc"] for i in client.get("/public/v1/lists/serious").json["items"]]
    card = client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json
    assert card["evaluation"]["grade"] == grade_before
    assert {s["list_type"]: s["listed"] for s in card["list_status"]}["serious"] is False
    assert client.get(f"/staff/v1/lists?subject_code={w['rep'].id_number}", headers=w["ho"]).json["total"] == 0

    # The credit office has it on its queue, with a deadline under the dated rule; the reviewer's
    # role does not work this kind (not in their queue, cannot decide it).
    queue = client.get(f"{ITEMS}?kind=list_proposal", headers=w["ho"]).json
    assert [i["id"] for i in queue["items"]] == [item_id]
    detail = client.get(f"{ITEMS}/{item_id}", headers=w["ho"]).json
    assert detail["deadline_rule"]["code"] == "list_proposal.confirm.2026" and "本区自定" in detail["deadline_rule"]["basis"]
    assert client.get(f"{ITEMS}?kind=list_proposal", headers=w["hr"]).status_code == 403
    assert decide(client, w["hr"], item_id, "confirm", "我确认").status_code == 404  # out of their scope, as a missing id

    # What the credit office reads: the proposal, the proposer, and who follows the firm onto the list.
    item = db.get(QueueItem, item_id)
    facts = dict(KINDS["list_proposal"].description(db, actor_of(w["office"]), item).facts)
    assert facts["名单"] == "严重失信主体名单" and facts["提议人"] == "孙审核"
    assert facts["认定文书号"] == "淮区市监严〔2026〕21号" and facts["随之列入"] == "法定代表人 钱**"
    assert "钱法人" not in "".join(facts.values())

    confirmed = decide(client, w["ho"], item_id, "confirm", "认定事实清楚，依据充分，同意列入")
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["state"] == "done" and confirmed.json["outcome"] == "confirm"
    entry = client.get(f"/staff/v1/lists?subject_code={w['firm'].uscc}", headers=w["ho"]).json["items"][0]
    assert entry["status"] == "active" and entry["decision_note"] == "认定事实清楚，依据充分，同意列入"
    assert [h["list_type"] for h in hits(client, w["ho"], w["firm"].uscc)] == ["serious"]
    assert w["firm"].uscc in [i["uscc"] for i in client.get("/public/v1/lists/serious").json["items"]]
    assert client.get(f"/public/v1/firms/{w['firm'].uscc}/card").json["evaluation"]["grade"] == "D"
    rep_entries = client.get(f"/staff/v1/lists?subject_code={w['rep'].id_number}", headers=w["ho"]).json["items"]
    assert [e["status"] for e in rep_entries] == ["active"]
    assert "淮区市监严〔2026〕21号" in rep_entries[0]["reason"]
    assert "淮安区提议测试食品有限公司" in client.get("/miniapp/v1/me/card", headers=headers(app, w["account"])).get_data(as_text=True)
    actions = db.execute(select(AuditEntry.action).where(AuditEntry.target_id == str(entry["id"]))).scalars().all()
    assert {"list.propose", "list.confirm"} <= set(actions)


def test_the_proposer_cannot_confirm_their_own_proposal_even_from_the_credit_office(client, db, world):
    w = world
    resp = client.post("/staff/v1/lists", json=serious(w["firm"], list_type="ban", domain="食品药品"), headers=w["ho"])
    assert resp.status_code == 201 and resp.json["status"] == "proposed"
    item_id = resp.json["queue_item_id"]
    own = decide(client, w["ho"], item_id, "confirm", "同意")
    assert own.status_code == 403 and own.json["reason"] == "proposer_cannot_confirm"
    assert "双人审核" in own.json["message"]
    assert hits(client, w["ho"], w["firm"].uscc, "食品药品") == []  # still not in force
    # The refused attempt left the item unclaimed: a colleague confirms it.
    assert client.get(f"{ITEMS}/{item_id}", headers=w["ho"]).json["assignee"] is None
    other = decide(client, w["ho2"], item_id, "confirm", "同意列入")
    assert other.status_code == 200, other.json
    assert [h["list_type"] for h in hits(client, w["ho"], w["firm"].uscc, "食品药品")] == ["ban"]


def test_a_refused_proposal_never_takes_effect_and_says_why(client, db, world):
    w = world
    resp = client.post("/staff/v1/lists", json=serious(w["firm"]), headers=w["hr"])
    item_id = resp.json["queue_item_id"]
    again = client.post("/staff/v1/lists", json=serious(w["firm"], decision_no="淮区市监严〔2026〕22号"), headers=w["hr"])
    assert again.status_code == 409 and again.json["reason"] == "list_proposal_pending"
    remove = client.post(f"/staff/v1/lists/{resp.json['id']}/remove", json={"reason": "撤回"}, headers=w["hr"])
    assert remove.status_code == 409 and remove.json["reason"] == "list_proposal_pending"
    blank = decide(client, w["ho"], item_id, "reject", " ")
    assert blank.status_code == 422
    rejected = decide(client, w["ho"], item_id, "reject", "情节未达严重程度，建议列入重点关注名单")
    assert rejected.status_code == 200, rejected.json
    mine = client.get(f"/staff/v1/lists?subject_code={w['firm'].uscc}", headers=w["hr"]).json["items"]
    assert mine[0]["status"] == "rejected" and mine[0]["status_label"] == "不予列入"
    assert mine[0]["decision_note"] == "情节未达严重程度，建议列入重点关注名单"
    assert hits(client, w["ho"], w["firm"].uscc) == []
    assert client.get(f"/staff/v1/lists?subject_code={w['rep'].id_number}", headers=w["ho"]).json["total"] == 0
    late = decide(client, w["ho2"], item_id, "confirm", "同意")
    assert late.status_code == 409 and late.json["reason"] == "queue_item_closed"
    # Refused, the department may propose again with a new decision.
    anew = client.post("/staff/v1/lists", json=serious(w["firm"], decision_no="淮区市监严〔2026〕23号"), headers=w["hr"])
    assert anew.status_code == 201 and anew.json["status"] == "proposed"


def test_red_and_watch_lists_still_take_effect_at_once(client, db, world):
    w = world
    red = client.post("/staff/v1/lists", headers=w["hr"], json={
        "subject_code": w["firm"].uscc, "list_type": "red", "reason": "连续三年纳税信用A级", "listed_on": RECENT.isoformat()})
    assert red.status_code == 201 and red.json["status"] == "active" and red.json["queue_item_id"] is None
    watch = client.post("/staff/v1/lists", headers=w["hr"], json={
        "subject_code": w["firm"].uscc, "list_type": "watch", "reason": "未按期公示年报", "legal_basis": "《市场主体登记管理条例》",
        "decision_no": "淮区市监异〔2026〕9号", "listed_on": RECENT.isoformat()})
    assert watch.status_code == 201 and watch.json["status"] == "active"
    assert db.execute(select(QueueItem).where(QueueItem.kind == "list_proposal")).first() is None

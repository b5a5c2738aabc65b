"""Seed 四(五): a firm on the 严重失信 list puts a linked record into its legal representative's file."""

from __future__ import annotations

from datetime import date

from backend.staff.models import Role
from tests.factories.cards import bound_account, headers
from tests.factories.staff import make_staff, seeded_department, staff_headers
from tests.factories.subjects import make_firm

TODAY = date.today()


def test_legal_rep_gets_the_firms_entry_and_loses_it_with_the_firm(app, client, db):
    account, rep = bound_account(db, name="李四")
    firm = make_firm(db, name="淮安区测试食品有限公司", legal_rep=rep)
    reviewer = make_staff(db, Role.DEPT_REVIEWER)
    office = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    db.flush()
    h = staff_headers(app, reviewer)
    resp = client.post("/staff/v1/lists", headers=h, json={
        "subject_code": firm.uscc, "list_type": "serious", "reason": "因食品安全违法行为受到较重行政处罚",
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第九条", "decision_no": "淮区市监严〔2026〕7号",
        "listed_on": TODAY.isoformat()})
    assert resp.status_code == 201, resp.json
    entry_id = resp.json["id"]
    # A proposal: nothing reaches the legal representative until the credit office confirms it.
    assert resp.json["status"] == "proposed"
    assert client.get(f"/staff/v1/lists?subject_code={rep.id_number}", headers=h).json["total"] == 0
    assert "淮安区测试食品有限公司" not in client.get("/miniapp/v1/me/card", headers=headers(app, account)).get_data(as_text=True)
    confirmed = client.post(f"/staff/v1/queues/items/{resp.json['queue_item_id']}/decide", headers=staff_headers(app, office),
                            json={"outcome": "confirm", "reason": "经审核，认定事实清楚、依据充分"})
    assert confirmed.status_code == 200, confirmed.json
    mine = client.get(f"/staff/v1/lists?subject_code={rep.id_number}", headers=h).json["items"]
    assert len(mine) == 1 and mine[0]["list_type"] == "serious" and mine[0]["status"] == "active"
    assert "淮安区测试食品有限公司" in mine[0]["reason"] and "淮区市监严〔2026〕7号" in mine[0]["reason"]
    card = client.get("/miniapp/v1/me/card", headers=headers(app, account))
    assert "淮安区测试食品有限公司" in card.get_data(as_text=True)

    # The linked record cannot be removed on its own; it leaves with the firm's entry.
    alone = client.post(f"/staff/v1/lists/{mine[0]['id']}/remove", json={"reason": "试图单独移出"}, headers=h)
    assert alone.status_code == 409 and alone.json["reason"] == "list_entry_linked"
    removed = client.post(f"/staff/v1/lists/{entry_id}/remove", json={"reason": "信用修复"}, headers=h)
    assert removed.status_code == 200
    mine = client.get(f"/staff/v1/lists?subject_code={rep.id_number}", headers=h).json["items"]
    assert mine[0]["status"] == "removed" and "信用修复" in mine[0]["removal_reason"]

"""The review-queue engine: items, claiming, scope, decisions, deadlines, escalation, statistics.

Firm-agency requests are the engine's first kind here (the agency API decides through it).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend.calendar.workdays import add_working_days
from backend.common.actor import Actor
from backend.common.clock import china_today
from backend.common.models import AuditEntry
from backend.queues import reports
from backend.queues import services as queue
from backend.queues.deadlines import DEADLINE_RULES, rule_for
from backend.queues.kinds import KINDS
from backend.queues.models import QueueItem
from backend.staff.models import Role
from tests.factories import make_department, make_staff, seeded_department, staff_headers
from tests.factories.cards import bound_account, firm, headers, person
from tests.queues.helpers import actor_of, credit_admin

ITEMS = "/staff/v1/queues/items"


def _agency_item(client, app, db):
    """A firm-agency request made in the mini-program: it lands on the credit office's queue."""
    account, _ = bound_account(db)
    f = firm(db, legal_rep=person(db, name="李四"))
    db.flush()
    resp = client.post("/miniapp/v1/me/agencies", json={"uscc": f.uscc}, headers=headers(app, account))
    assert resp.status_code == 201, resp.json
    return db.execute(select(QueueItem).where(QueueItem.kind == "agency", QueueItem.ref_id == resp.json["id"])).scalar_one()


def test_every_kind_is_in_the_one_table_and_every_deadline_cites_its_basis():
    assert {"objection", "agency"} <= set(KINDS)
    for rule in DEADLINE_RULES:
        assert rule.kind in KINDS and rule.step in KINDS[rule.kind].open_states
        assert rule.basis and rule.working_days > 0 and rule.valid_from
    assert rule_for("objection", "pending", date(2026, 12, 28)).working_days == 2
    assert rule_for("objection", "verifying", date(2026, 12, 28)).working_days == 10


def test_agency_request_is_a_queue_item_and_the_agency_api_decides_through_the_engine(app, client, db):
    item = _agency_item(client, app, db)
    admin = credit_admin(db)
    assert item.state == "pending" and item.is_open and item.department_id == admin.department_id
    assert item.deadline == add_working_days(db, china_today(), 5) and item.deadline_rule == "agency.review.2026"

    listed = client.get(ITEMS, query_string={"kind": "agency"}, headers=staff_headers(app, admin)).json
    row = next(r for r in listed["items"] if r["id"] == item.id)
    assert row["state_label"] == "待审核" and row["overdue"] is False and "due_soon" in row
    assert row["deadline_rule"]["basis"].startswith("企业授权经办审核")

    resp = client.post(f"/staff/v1/agencies/{item.ref_id}/decision", json={"approve": True},
                       headers=staff_headers(app, admin))
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    detail = client.get(f"{ITEMS}/{item.id}", headers=staff_headers(app, admin)).json
    assert detail["state"] == "done" and detail["outcome_label"] == "同意授权" and detail["closed_late"] is False
    assert [e["action"] for e in detail["timeline"]] == ["create", "decide"]
    assert detail["timeline"][1]["actor"] == f"staff:{admin.id}"
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "queue.decide",
                                              AuditEntry.target_id == str(item.id))).scalar() is not None


def test_decide_through_the_queue_api_and_withdrawal_closes_the_item(app, client, db):
    item = _agency_item(client, app, db)
    admin = credit_admin(db)
    h = staff_headers(app, admin)
    bad = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "accept", "reason": "x"}, headers=h)
    assert bad.status_code == 422 and bad.json["reason"] == "outcome_invalid"
    no_reason = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "reject"}, headers=h)
    assert no_reason.status_code == 422
    resp = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "reject", "reason": "材料不能证明授权关系"}, headers=h)
    assert resp.status_code == 200 and resp.json["outcome"] == "reject" and not resp.json["is_open"]
    again = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "approve", "reason": "x"}, headers=h)
    assert again.status_code == 409 and again.json["reason"] == "queue_item_closed"


def test_claim_release_reassign_and_a_decision_on_someone_elses_item_is_409(app, client, db):
    item = _agency_item(client, app, db)
    first, second = credit_admin(db), credit_admin(db)
    h1, h2 = staff_headers(app, first), staff_headers(app, second)
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=h1).json["assignee"]["id"] == first.id
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=h1).status_code == 200  # again: unchanged
    taken = client.post(f"{ITEMS}/{item.id}/claim", headers=h2)
    assert taken.status_code == 409 and taken.json["reason"] == "item_claimed"
    held = client.post(f"{ITEMS}/{item.id}/decide", json={"outcome": "approve", "reason": "同意"}, headers=h2)
    assert held.status_code == 409 and held.json["reason"] == "item_held_by_other" and held.json["message"]

    assert client.post(f"{ITEMS}/{item.id}/release", json={"note": "休假"}, headers=h1).json["assignee"] is None
    colleague = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "FGW"))
    moved = client.post(f"{ITEMS}/{item.id}/reassign", json={"assignee_id": colleague.id}, headers=h1)
    assert moved.status_code == 200 and moved.json["assignee"]["id"] == colleague.id
    wrong = client.post(f"{ITEMS}/{item.id}/reassign", json={"assignee_id": 2**31 - 1}, headers=h1)
    assert wrong.status_code == 422 and wrong.json["reason"] == "assignee_invalid"
    actions = [e["action"] for e in client.get(f"{ITEMS}/{item.id}", headers=h1).json["timeline"]]
    assert actions == ["create", "claim", "release", "reassign"]


def test_department_scope_reroute_and_read_only_auditors(app, client, db):
    item = _agency_item(client, app, db)
    admin = credit_admin(db)
    other = make_department(db)
    outsider = make_staff(db, Role.DEPT_REVIEWER, other)
    ho = staff_headers(app, outsider)
    assert item.id not in [r["id"] for r in client.get(ITEMS, headers=ho).json["items"]]
    assert client.get(f"{ITEMS}/{item.id}", headers=ho).status_code == 404
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=ho).json["reason"] == "queue_item_not_found"
    assert client.get(ITEMS, query_string={"department_code": "FGW"}, headers=ho).json["reason"] == "department_scope"

    auditor = make_staff(db, Role.AUDITOR)
    ha = staff_headers(app, auditor)
    assert client.get(f"{ITEMS}/{item.id}", headers=ha).status_code == 200
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=ha).status_code == 403
    # A role that works no kind is refused the queue (a bank's loan officer now works kind ``loan``:
    # see test_staff_of_a_role_no_kind_works_see_no_items_and_cannot_act and tests/loans).
    merchant = make_staff(db, Role.MERCHANT)
    assert client.get(ITEMS, headers=staff_headers(app, merchant)).status_code == 403

    refused = client.post(f"{ITEMS}/{item.id}/reassign", json={"department_code": other.code}, headers=ho)
    assert refused.status_code == 404
    routed = client.post(f"{ITEMS}/{item.id}/reassign", json={"department_code": other.code, "note": "请核实"},
                         headers=staff_headers(app, admin))
    assert routed.status_code == 200 and routed.json["department"]["code"] == other.code
    assert client.get(f"{ITEMS}/{item.id}", headers=ho).status_code == 200  # now theirs
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=ho).status_code == 200


def test_overdue_and_due_soon_flags_escalation_and_stats(app, client, db):
    admin = credit_admin(db)
    system = Actor("system")
    today = china_today()
    late = queue.open_item(db, system, kind="agency", ref_id=900001, subject_id=None,
                           department_id=admin.department_id, start=today - timedelta(days=30))
    fresh = queue.open_item(db, system, kind="agency", ref_id=900002, subject_id=None,
                            department_id=admin.department_id, start=today)
    soon = queue.open_item(db, system, kind="agency", ref_id=900003, subject_id=None,
                           department_id=admin.department_id, start=today)
    soon.deadline = today
    db.flush()
    flags = reports.deadline_flags(db, [late, fresh, soon], today)
    assert flags[late.id] == {"overdue": True, "due_soon": False}
    assert flags[fresh.id] == {"overdue": False, "due_soon": False}
    assert flags[soon.id] == {"overdue": False, "due_soon": True}
    h = staff_headers(app, admin)
    overdue_ids = [r["id"] for r in client.get(ITEMS, query_string={"overdue": "true", "per_page": 100}, headers=h).json["items"]]
    assert late.id in overdue_ids and fresh.id not in overdue_ids

    assert reports.escalate_overdue(db, today) == 1
    assert reports.escalate_overdue(db, today) == 0  # once
    escalated = client.get(ITEMS, query_string={"escalated": "true"}, headers=h).json["items"]
    assert [r["id"] for r in escalated] == [late.id] and escalated[0]["escalated_at"]
    assert client.get(f"{ITEMS}/{late.id}", headers=h).json["timeline"][-1]["action"] == "escalate"

    queue.close_item(db, actor_of(admin), fresh, "withdrawn")
    queue.close_item(db, actor_of(admin), late, "withdrawn")
    stats = client.get("/staff/v1/queues/stats", query_string={"kind": "agency"}, headers=h).json
    row = next(r for r in stats["rows"] if r["department"]["code"] == "FGW")
    assert row["kind_label"] == "企业授权经办"
    assert row["open"] >= 1 and row["decided_on_time"] >= 1 and row["decided_late"] >= 1
    bad = client.get("/staff/v1/queues/stats", query_string={"date_from": "2026-12-01", "date_to": "2026-01-01"}, headers=h)
    assert bad.status_code == 422 and bad.json["reason"] == "date_range_invalid"


def test_bad_queue_queries_are_422(app, client, db):
    h = staff_headers(app, credit_admin(db))
    assert client.get(ITEMS, query_string={"kind": "nope"}, headers=h).status_code == 422
    assert client.get(ITEMS, query_string={"subject_code": "91440300708461136X"}, headers=h).json["reason"] == "uscc_check_digit"
    assert client.get(ITEMS, query_string={"department_code": "NOPE"}, headers=h).json["reason"] == "department_unknown"
    assert client.post(f"{ITEMS}/{2**31 - 1}/claim", headers=h).status_code == 404
    assert client.post(f"{ITEMS}/1/reassign", json={}, headers=h).status_code == 404


def test_staff_of_a_role_no_kind_works_see_no_items_and_cannot_act(app, client, db):
    """A partner bank's loan officer (or a merchant) works no objection or agency item: the queue lists
    none for them and an item's id answers 404, as for an item out of scope."""
    item = _agency_item(client, app, db)
    bank = make_staff(db, Role.BANK_PARTNER, make_department(db, org_type="bank"))
    assert queue.kinds_for(actor_of(bank)) == [k for k, spec in KINDS.items() if "bank_partner" in spec.worker_roles]
    h = staff_headers(app, bank)
    listed = client.get(ITEMS, headers=h)  # the bank's officer works loans: a queue of its own, without this item
    assert listed.status_code == 200 and item.id not in [r["id"] for r in listed.json["items"]]
    assert all(r["kind"] == "loan" for r in listed.json["items"])
    assert client.get(f"{ITEMS}/{item.id}", headers=h).status_code == 404
    assert client.post(f"{ITEMS}/{item.id}/claim", headers=h).status_code == 404
    assert db.get(QueueItem, item.id).assignee_id is None

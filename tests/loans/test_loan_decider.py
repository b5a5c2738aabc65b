"""Only the authorised bank decides a 信易贷 application: not the credit office, and not another
bank the item was re-routed to (the queue engine lets the credit office decide and re-route any kind)."""

from __future__ import annotations

from sqlalchemy import select

from backend.loans.models import LoanApplication, LoanStatus
from backend.queues.models import QueueItem
from tests.loans.conftest import apply

ITEMS = "/staff/v1/queues/items"
APPROVE = {"outcome": "approve", "reason": "同意", "approved_amount_yuan": 100_000, "annual_rate": "3.85",
           "term_months": 12}


def test_the_credit_office_cannot_approve_a_banks_loan(client, db, world):
    loan_id = apply(client, world["h"], world["loan_a"], world["firm"]).json["id"]
    item_id = db.execute(select(QueueItem.id).where(QueueItem.kind == "loan")).scalar_one()
    decided = client.post(f"{ITEMS}/{item_id}/decide", headers=world["hadmin"], json=APPROVE)
    assert decided.status_code == 403, decided.json
    assert db.get(LoanApplication, loan_id).status == LoanStatus.PENDING


def test_a_loan_rerouted_to_another_bank_cannot_be_decided_there(client, db, world):
    loan_id = apply(client, world["h"], world["loan_a"], world["firm"]).json["id"]
    item_id = db.execute(select(QueueItem.id).where(QueueItem.kind == "loan")).scalar_one()
    moved = client.post(f"{ITEMS}/{item_id}/reassign", headers=world["hadmin"],
                        json={"department_code": world["bank_b"].code})
    assert moved.status_code == 409 and moved.json["reason"] == "item_not_reroutable", moved.json
    assert db.get(QueueItem, item_id).department_id == world["bank_a"].id
    decided = client.post(f"{ITEMS}/{item_id}/decide", headers=world["hb"], json=APPROVE)
    assert decided.status_code in (403, 404), decided.json
    assert db.get(LoanApplication, loan_id).status == LoanStatus.PENDING

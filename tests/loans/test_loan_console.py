"""The bank's loan officer decides 信易贷 in the console: the approval's amount, rate and term are asked
next to the decision, a mistyped one is shown next to its field with what was typed kept."""

from __future__ import annotations

from backend.loans.models import LoanApplication
from tests.loans.conftest import apply
from tests.staff.console.helpers import login, post, text


def test_the_loan_officer_approves_in_the_console_with_amount_rate_and_term(app, client, db, world):
    created = apply(client, world["h"], world["loan_a"], world["firm"], key="loan-console-1")
    assert created.status_code == 201, created.json
    loan = db.get(LoanApplication, created.json["id"])
    item_id = client.get("/staff/v1/loans", headers=world["ha"]).json["items"][0]["queue_item_id"]

    c = app.test_client()
    login(c, world["officer_a"].username)
    page = text(c.get(f"/staff/queues/loan/{item_id}"))
    assert "批准金额" in page and "年利率" in page and "贷款期限" in page
    assert "批准贷款、不予批准时必填" in page  # the handler asks for 审批意见 on an approval too
    url = f"/staff/queues/loan/{item_id}/decision"
    silent = post(c, url, {"outcome": "approve", "reason_text": "", "approved_amount_yuan": "400000",
                           "annual_rate": "3.45", "term_months": "12", "seen_state": "pending"},
                  page=f"/staff/queues/loan/{item_id}")
    assert silent.status_code == 422 and 'id="err-reason_text"' in text(silent) and "请填写审批意见" in text(silent)
    form = {"outcome": "approve", "reason_text": "经营稳定", "approved_amount_yuan": "40万",
            "annual_rate": "3.45", "term_months": "12", "seen_state": "pending"}
    bad = post(c, url, form, page=f"/staff/queues/loan/{item_id}")
    assert bad.status_code == 422
    assert "请填写整数" in text(bad) and 'value="40万"' in text(bad)
    db.refresh(loan)
    assert loan.status == "pending"

    form["approved_amount_yuan"] = "400000"
    done = post(c, url, form, page=f"/staff/queues/loan/{item_id}")
    assert done.status_code == 303
    db.refresh(loan)
    assert loan.status == "approved" and loan.approved_amount_yuan == 400_000
    seen = client.get(f"/miniapp/v1/loans/{loan.id}", headers=world["h"]).json
    assert seen["annual_rate"] == "3.45" and seen["approved_term_months"] == 12

    other = app.test_client()
    login(other, world["officer_b"].username)
    assert other.get(f"/staff/queues/loan/{item_id}").status_code == 404


def test_the_bank_sees_the_firms_card_on_the_item_page_only_while_authorised_and_audited(app, client, db, world):
    """The item page showed every loan officer the firm's full staff card, authorised or not, unaudited:
    now it is the API's authorised card (shared view, each view audited), gone once the bank decided."""
    from sqlalchemy import select

    from backend.common.models import AuditEntry

    created = apply(client, world["h"], world["loan_a"], world["firm"], key="loan-console-card")
    loan_id = created.json["id"]
    item_id = client.get("/staff/v1/loans", headers=world["ha"]).json["items"][0]["queue_item_id"]

    def views() -> int:
        return len(db.execute(select(AuditEntry).where(AuditEntry.action == "loan.card_view",
                                                       AuditEntry.target_id == str(loan_id))).scalars().all())

    c = app.test_client()
    login(c, world["officer_a"].username)
    page = text(c.get(f"/staff/queues/loan/{item_id}"))
    assert 'id="subject-card"' in page and "淮安区信易贷测试有限公司" in page
    assert views() == 1
    refused = client.post(f"/staff/v1/queues/items/{item_id}/decide", headers=world["ha"],
                          json={"outcome": "refuse", "reason": "材料不全"})
    assert refused.status_code == 200, refused.json
    after = text(c.get(f"/staff/queues/loan/{item_id}"))
    assert 'id="subject-card"' not in after
    assert views() == 1

    admin = app.test_client()  # the credit office keeps its staff view of the subject
    login(admin, world["admin"].username)
    assert 'id="subject-card"' in text(admin.get(f"/staff/queues/loan/{item_id}"))

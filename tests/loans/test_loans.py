"""信易贷 end to end: apply and authorise one bank, compare and intercept, the bank's queue and the
authorised card, the decision, the firm's view, withdrawal, the credit office's figures."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.intercept.models import InterceptCheck
from backend.loans.models import LoanApplication
from backend.platform.db import utcnow
from backend.queues.models import QueueItem
from tests.factories.cards import approve_agent, bound_account, headers
from tests.factories.lists import make_listing
from tests.factories.staff import make_department
from tests.loans.conftest import apply

TODAY = date.today()
ITEMS = "/staff/v1/queues/items"


def _audits(db, action, loan_id=None):
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    if loan_id is not None:
        stmt = stmt.where(AuditEntry.target_type == "loan_application", AuditEntry.target_id == str(loan_id))
    return db.execute(stmt).scalars().all()


def _serious(db, firm, **over):
    entry = make_listing(db, firm.id, "serious", department_id=make_department(db).id,
                         listed=TODAY - timedelta(days=3), expires=TODAY + timedelta(days=700),
                         reason="拒不履行生效法律文书确定的义务")
    entry.legal_basis = over.get("basis", "《失信行为纠正后的信用信息修复管理办法》")
    entry.decision_no = "淮区法失〔2026〕7号"
    db.flush()
    return entry


def test_a_seriously_dishonest_firm_is_refused_with_the_reason_and_logged(client, db, world):
    _serious(db, world["firm"])
    resp = apply(client, world["h"], world["loan_a"], world["firm"])
    assert resp.status_code == 403 and resp.json["reason"] == "intercepted"
    msg = resp.json["message"]
    assert "严重失信主体名单" in msg and "失信行为纠正后的信用信息修复管理办法" in msg and "淮区法失〔2026〕7号" in msg
    assert f"至{TODAY + timedelta(days=700):%Y年%m月%d日}" in msg and "不能申请信易贷" in msg
    assert db.execute(select(LoanApplication)).first() is None
    assert db.execute(select(QueueItem).where(QueueItem.kind == "loan")).first() is None
    log = client.get(f"/staff/v1/intercept/log?subject_code={world['firm'].uscc}&purpose=loan_apply",
                     headers=world["hadmin"])
    assert log.status_code == 200 and log.json["total"] == 1
    entry = log.json["items"][0]
    assert entry["blocked"] is True and entry["perk_id"] == world["loan_a"].id
    assert entry["hits"][0]["list_type"] == "serious"


def test_the_bank_approves_the_firm_sees_it_and_the_card_is_closed_afterwards(client, db, world):
    created = apply(client, world["h"], world["loan_a"], world["firm"], key="loan-approve-1")
    assert created.status_code == 201, created.json
    loan_id = created.json["id"]
    assert created.json["status"] == "pending" and created.json["card_authorised"] is True
    assert created.json["bank"]["id"] == world["bank_a"].id
    replay = apply(client, world["h"], world["loan_a"], world["firm"], key="loan-approve-1")
    assert replay.json["id"] == loan_id
    assert db.execute(select(LoanApplication)).scalars().all().__len__() == 1
    assert _audits(db, "loan.authorise", loan_id)

    mine = client.get("/staff/v1/loans", headers=world["ha"])
    assert [x["id"] for x in mine.json["items"]] == [loan_id]
    item_id = mine.json["items"][0]["queue_item_id"]
    item = client.get(f"{ITEMS}/{item_id}", headers=world["ha"])
    assert item.status_code == 200 and item.json["kind"] == "loan" and item.json["deadline_rule"]["working_days"] == 5

    card = client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["ha"])
    assert card.status_code == 200, card.json
    assert card.json["subject"]["name"] == "淮安区信易贷测试有限公司" and card.json["authorisation"]["loan_id"] == loan_id
    assert "李建国" not in card.get_data(as_text=True)
    assert len(_audits(db, "loan.card_view", loan_id)) == 1

    too_much = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "经营稳定", "approved_amount_yuan": 600_000, "annual_rate": "3.45",
        "term_months": 12})
    assert too_much.status_code == 422 and too_much.json["reason"] == "approved_amount_yuan_out_of_range"
    bad_rate = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "经营稳定", "approved_amount_yuan": 400_000, "annual_rate": "3.456",
        "term_months": 12})
    assert bad_rate.status_code == 422 and bad_rate.json["reason"] == "annual_rate_invalid"
    for huge in ("1e30", "1E+999999"):  # a typo'd exponent is a 422 next to the field, not a 500
        huge_rate = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
            "outcome": "approve", "reason": "经营稳定", "approved_amount_yuan": 400_000, "annual_rate": huge,
            "term_months": 12})
        assert huge_rate.status_code == 422 and huge_rate.json["reason"] == "annual_rate_invalid", huge
    approved = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "经营稳定，纳税信用良好", "approved_amount_yuan": 400_000,
        "annual_rate": "3.45", "term_months": 12})
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "done" and approved.json["outcome"] == "approve"

    seen = client.get(f"/miniapp/v1/loans/{loan_id}", headers=world["h"]).json
    assert seen["status"] == "approved" and seen["status_label"] == "已批准"
    assert seen["approved_amount_yuan"] == 400_000 and seen["annual_rate"] == "3.45"
    assert seen["approved_term_months"] == 12 and seen["decision_reason"] == "经营稳定，纳税信用良好"
    assert seen["card_authorised"] is False
    assert [x["id"] for x in client.get("/miniapp/v1/loans", headers=world["h"]).json["items"]] == [loan_id]

    after = client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["ha"])
    assert after.status_code == 403 and after.json["reason"] == "card_not_authorised"
    refused = _audits(db, "loan.card_refused", loan_id)
    assert len(refused) == 1 and refused[0].details["why"] == "authorisation_ended"
    late = client.post(f"/miniapp/v1/loans/{loan_id}/withdraw", headers={**world["h"], "Idempotency-Key": "w-1"})
    assert late.status_code == 409 and late.json["reason"] == "loan_not_pending"


def test_bank_a_sees_neither_bank_bs_applications_nor_the_firms_card(client, db, world):
    loan_id = apply(client, world["h"], world["loan_b"], world["firm"]).json["id"]
    assert client.get("/staff/v1/loans", headers=world["ha"]).json["items"] == []
    assert client.get(f"/staff/v1/loans/{loan_id}", headers=world["ha"]).status_code == 404
    queue_a = client.get(f"{ITEMS}?kind=loan", headers=world["ha"]).json["items"]
    assert queue_a == []
    item_id = db.execute(select(QueueItem.id).where(QueueItem.kind == "loan")).scalar_one()
    assert client.get(f"{ITEMS}/{item_id}", headers=world["ha"]).status_code == 404
    stolen = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={"outcome": "refuse", "reason": "x"})
    assert stolen.status_code == 404

    card = client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["ha"])
    assert card.status_code == 403 and card.json["reason"] == "card_not_authorised"
    assert "未授权本行" in card.json["message"]
    refused = _audits(db, "loan.card_refused", loan_id)
    assert len(refused) == 1 and refused[0].details["why"] == "no_authorisation"
    assert refused[0].actor == f"staff:{world['officer_a'].id}"
    assert client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["hb"]).status_code == 200
    # The bank's queue and the loans list show bank B its own application.
    assert [x["id"] for x in client.get("/staff/v1/loans", headers=world["hb"]).json["items"]] == [loan_id]
    # A resident cannot reach the staff card; the credit office is not the authorised bank either.
    assert client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["h"]).status_code == 401
    assert client.get(f"/staff/v1/loans/{loan_id}/card", headers=world["hadmin"]).status_code == 403


def test_the_authorisation_ends_with_its_time_and_with_a_withdrawal(client, db, world):
    first = apply(client, world["h"], world["loan_a"], world["firm"]).json["id"]
    loan = db.get(LoanApplication, first)
    assert (loan.authorised_until - loan.submitted_at) == timedelta(days=30)
    loan.authorised_until = utcnow() - timedelta(seconds=1)
    db.flush()
    expired = client.get(f"/staff/v1/loans/{first}/card", headers=world["ha"])
    assert expired.status_code == 403 and "已结束" in expired.json["message"]

    second = apply(client, world["h"], world["loan_b"], world["firm"]).json["id"]
    assert client.get(f"/staff/v1/loans/{second}/card", headers=world["hb"]).status_code == 200
    gone = client.post(f"/miniapp/v1/loans/{second}/withdraw", headers={**world["h"], "Idempotency-Key": "w-2"})
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    assert client.get(f"/staff/v1/loans/{second}/card", headers=world["hb"]).status_code == 403
    item = db.execute(select(QueueItem).where(QueueItem.kind == "loan", QueueItem.ref_id == second)).scalar_one()
    assert item.is_open is False and item.outcome == "withdrawn"


def test_a_firm_listed_after_applying_cannot_be_approved_but_can_be_refused(client, db, world):
    loan_id = apply(client, world["h"], world["loan_a"], world["firm"]).json["id"]
    item_id = db.execute(select(QueueItem.id).where(QueueItem.kind == "loan")).scalar_one()
    _serious(db, world["firm"])
    approve = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "同意", "approved_amount_yuan": 100_000, "annual_rate": 4,
        "term_months": 6})
    assert approve.status_code == 403 and approve.json["reason"] == "intercepted"
    assert "严重失信主体名单" in approve.json["message"]
    checks = db.execute(select(InterceptCheck).where(InterceptCheck.purpose == "loan_decide")).scalars().all()
    assert len(checks) == 1 and checks[0].blocked is True
    assert db.get(LoanApplication, loan_id).status.value == "pending"
    refused = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"],
                          json={"outcome": "refuse", "reason": "企业已被列入严重失信主体名单"})
    assert refused.status_code == 200, refused.json
    seen = client.get(f"/miniapp/v1/loans/{loan_id}", headers=world["h"]).json
    assert seen["status"] == "refused" and seen["decision_reason"] == "企业已被列入严重失信主体名单"


def test_bad_applications_are_refused_with_their_reason(app, client, db, world):
    h, f = world["h"], world["firm"]
    cases = [
        ({"amount_yuan": 500}, "amount_yuan_out_of_range"),
        ({"amount_yuan": 20_000_000}, "amount_yuan_out_of_range"),
        ({"term_months": 61}, "term_months_out_of_range"),
        ({"purpose": "   "}, "purpose_required"),
        ({"firm": "91320803MA1XXXXXX0"}, None),
    ]
    for over, reason in cases:
        resp = apply(client, h, world["loan_a"], f, **over)
        assert resp.status_code == 422, (over, resp.json)
        if reason:
            assert resp.json["reason"] == reason
    travel = client.post("/miniapp/v1/loans", headers={**h, "Idempotency-Key": "bad-perk"}, json={
        "perk_code": "NO-SUCH", "firm": f.uscc, "amount_yuan": 100_000, "term_months": 12, "purpose": "周转"})
    assert travel.status_code == 404 and travel.json["reason"] == "perk_not_found"
    stranger, _ = bound_account(db, name="王小二")
    db.flush()
    other = apply(client, headers(app, stranger), world["loan_a"], f)
    assert other.status_code == 403 and other.json["reason"] == "not_firm_agent"
    assert "淮安区信易贷测试有限公司" not in other.get_data(as_text=True)
    assert db.execute(select(LoanApplication)).first() is None

    assert apply(client, h, world["loan_a"], f).status_code == 201
    again = apply(client, h, world["loan_a"], f)
    assert again.status_code == 409 and again.json["reason"] == "loan_open"
    # Another bank is another application; an approved agent may apply too and sees the firm's loans.
    agent, agent_person = bound_account(db, name="赵经办")
    approve_agent(db, f, agent, agent_person)
    db.flush()
    assert apply(client, headers(app, agent), world["loan_b"], f).status_code == 201
    assert len(client.get("/miniapp/v1/loans", headers=headers(app, agent)).json["items"]) == 2
    assert client.get("/miniapp/v1/loans", headers=headers(app, stranger)).json["items"] == []
    some = db.execute(select(LoanApplication.id)).scalars().first()
    assert client.get(f"/miniapp/v1/loans/{some}", headers=headers(app, stranger)).status_code == 404


def test_figures_by_bank_and_month(client, db, world):
    ids = [apply(client, world["h"], perk, world["firm"]).json["id"] for perk in (world["loan_a"], world["loan_b"])]
    a, b = (db.get(LoanApplication, i) for i in ids)
    a.submitted_on, b.submitted_on = date(2026, 10, 20), date(2026, 11, 3)
    db.flush()
    item_a = db.execute(select(QueueItem.id).where(QueueItem.ref_id == a.id, QueueItem.kind == "loan")).scalar_one()
    item_b = db.execute(select(QueueItem.id).where(QueueItem.ref_id == b.id, QueueItem.kind == "loan")).scalar_one()
    assert client.post(f"{ITEMS}/{item_a}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "同意", "approved_amount_yuan": 300_000, "annual_rate": "3.45",
        "term_months": 12}).status_code == 200
    assert client.post(f"{ITEMS}/{item_b}/decide", headers=world["hb"],
                       json={"outcome": "refuse", "reason": "经营流水不足"}).status_code == 200
    a.decided_on = date(2026, 11, 2)
    db.flush()
    resp = client.get("/staff/v1/loans/stats?date_from=2026-10-01&date_to=2026-11-30", headers=world["hadmin"])
    assert resp.status_code == 200, resp.json
    rows = {(r["bank"]["id"], r["month"]): r for r in resp.json["rows"]}
    ka, kb = world["bank_a"].id, world["bank_b"].id
    assert rows[(ka, "2026-10")]["applications"] == 1 and rows[(ka, "2026-10")]["approvals"] == 0
    assert rows[(ka, "2026-11")]["approvals"] == 1 and rows[(ka, "2026-11")]["approved_amount_yuan"] == 300_000
    assert rows[(kb, "2026-11")]["applications"] == 1 and rows[(kb, "2026-11")]["approvals"] == 0
    assert set(rows) == {(ka, "2026-10"), (ka, "2026-11"), (kb, "2026-11")}
    own = client.get("/staff/v1/loans/stats?date_from=2026-10-01&date_to=2026-11-30", headers=world["ha"]).json
    assert {r["bank"]["id"] for r in own["rows"]} == {ka}
    bad = client.get("/staff/v1/loans/stats?date_from=2026-11-30&date_to=2026-10-01", headers=world["hadmin"])
    assert bad.status_code == 422 and bad.json["reason"] == "date_range_invalid"
    assert client.get("/staff/v1/loans/stats", headers=world["h"]).status_code == 401


def test_an_absurd_annual_rate_is_a_plain_422_not_a_500(client, db, world):
    """1E+30 or 1e308 typed as the rate used to overflow the decimal context (500); it is refused like
    any rate out of bounds, and the item stays open for a proper decision."""
    apply(client, world["h"], world["loan_a"], world["firm"], key="loan-absurd-rate")
    item_id = client.get("/staff/v1/loans", headers=world["ha"]).json["items"][0]["queue_item_id"]
    for rate in ("1E+30", "1e999999999", 1e308, "-1E+40"):
        r = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
            "outcome": "approve", "reason": "经营稳定", "approved_amount_yuan": 400_000, "annual_rate": rate,
            "term_months": 12})
        assert r.status_code == 422 and r.json["reason"] == "annual_rate_invalid", (rate, r.json)
    ok = client.post(f"{ITEMS}/{item_id}/decide", headers=world["ha"], json={
        "outcome": "approve", "reason": "经营稳定", "approved_amount_yuan": 400_000, "annual_rate": "3.450",
        "term_months": 12})
    assert ok.status_code == 200, ok.json

"""信易+ catalogue and eligibility in the mini-program: every perk, eligible or not, and why."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.intercept.models import InterceptCheck
from backend.staff.models import OrgType, Role
from tests.factories.cards import approve_agent, bound_account, headers
from tests.factories.lists import make_listing
from tests.factories.perks import make_perk
from tests.factories.staff import make_department, make_staff, staff_headers
from tests.factories.subjects import make_account, make_firm

TODAY = date.today()


def _by_code(resp):
    return {p["code"]: p for p in resp.json["items"]}


def test_a_good_resident_sees_which_perks_are_open_and_why_not(app, client, db):
    account, person = bound_account(db)
    travel = make_perk(db, "travel", rule={"min_grade": "good"})
    bus = make_perk(db, "transit", rule={"min_grade": "excellent"}, domain=None)
    loan = make_perk(db, "loan", kinds=["firm"], rule={"min_grade": "B"}, domain=None)
    db.flush()
    resp = client.get("/miniapp/v1/perks", headers=headers(app, account))
    assert resp.status_code == 200
    items = _by_code(resp)
    assert items[travel.code]["eligible"] is True and items[travel.code]["reasons"] == []
    assert items[bus.code]["eligible"] is False
    assert items[bus.code]["reasons"][0]["message"] == "您的个人诚信分为 650 分，该权益需 750 分以上（优秀及以上）。"
    assert items[bus.code]["advice"] == ["诚信分再提高 100 分即可享受。"]
    assert items[loan.code]["reasons"][0]["reason"] == "subject_kind"


def test_a_listed_subject_is_told_the_list_basis_and_period(app, client, db):
    account, person = bound_account(db)
    travel = make_perk(db, "travel")
    dept = make_department(db)
    entry = make_listing(db, person.id, "serious", department_id=dept.id, listed=TODAY - timedelta(days=5),
                         expires=TODAY + timedelta(days=300), reason="拒不履行生效判决")
    entry.legal_basis = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
    db.flush()
    items = _by_code(client.get("/miniapp/v1/perks", headers=headers(app, account)))
    reasons = items[travel.code]["reasons"]
    assert reasons[0]["reason"] == "intercepted" and "严重失信主体名单" in reasons[0]["message"]
    assert "最高人民法院" in reasons[0]["message"]
    assert "届满" in items[travel.code]["advice"][0]
    # Looking is not an attempt: nothing in the interception log.
    assert db.execute(select(InterceptCheck)).first() is None


def test_a_firm_agent_sees_the_firms_perks_others_are_refused(app, client, db):
    firm = make_firm(db)
    account, person = bound_account(db)
    approve_agent(db, firm, account, person)
    stranger, _ = bound_account(db, name="王五")
    loan = make_perk(db, "loan", kinds=["firm"], rule={"min_grade": "B"}, domain="金融", red_bonus="利率再优惠")
    make_listing(db, firm.id, "red", department_id=make_department(db).id, listed=TODAY - timedelta(days=1))
    db.flush()
    items = _by_code(client.get(f"/miniapp/v1/perks?firm={firm.uscc}", headers=headers(app, account)))
    assert items[loan.code]["eligible"] is True and items[loan.code]["red_bonus_applies"] is True
    refused = client.get(f"/miniapp/v1/perks?firm={firm.uscc}", headers=headers(app, stranger))
    assert refused.status_code == 403 and refused.json["reason"] == "not_firm_agent"
    bad = client.get("/miniapp/v1/perks?firm=123", headers=headers(app, account))
    assert bad.status_code == 422
    unbound = make_account(db)
    db.flush()
    assert client.get("/miniapp/v1/perks", headers=headers(app, unbound)).json["reason"] == "identity_required"


def test_the_credit_office_manages_the_catalogue(app, client, db):
    admin = make_staff(db, Role.CREDIT_ADMIN)
    bank = make_department(db, OrgType.BANK)
    merchant = make_staff(db, Role.MERCHANT)
    db.flush()
    h = staff_headers(app, admin)
    body = {"code": "XYD-T-1", "name": "测试信易贷", "category": "loan", "provider_code": bank.code,
            "subject_kinds": ["firm"], "benefit": "信用贷款最高100万元", "valid_from": "2026-01-01",
            "rule": {"min_grade": "B"}, "domain": "金融"}
    created = client.post("/staff/v1/perks", json=body, headers=h)
    assert created.status_code == 201 and created.json["rule"] == {"min_grade": "B"}
    assert client.post("/staff/v1/perks", json=body, headers=h).json["reason"] == "perk_exists"
    wrong = client.post("/staff/v1/perks", json={**body, "code": "X2", "rule": {"min_grade": "good"}}, headers=h)
    assert wrong.status_code == 422 and wrong.json["reason"] == "perk_rule_invalid"
    voucher_bank = client.post("/staff/v1/perks", json={**body, "code": "X3", "category": "travel"}, headers=h)
    assert voucher_bank.json["reason"] == "provider_type"
    patched = client.patch(f"/staff/v1/perks/{created.json['id']}", json={"active": False, "quota": 10}, headers=h)
    assert patched.status_code == 200 and patched.json["active"] is False and patched.json["quota"] == 10
    stricter = client.patch(f"/staff/v1/perks/{created.json['id']}", json={"rule": {"min_grade": "A"}}, headers=h)
    assert stricter.status_code == 200 and stricter.json["rule"] == {"min_grade": "A"}
    # The audit row says what the rule was and became: which rule refused a firm last month stays readable.
    row = db.execute(select(AuditEntry).where(AuditEntry.action == "perk.update")
                     .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert row.details["rule_before"] == {"min_grade": "B"} and row.details["rule_after"] == {"min_grade": "A"}
    assert client.get("/staff/v1/perks", headers=h).json["total"] == 1
    assert client.post("/staff/v1/perks", json=body, headers=staff_headers(app, merchant)).status_code == 403

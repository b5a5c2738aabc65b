"""Vouchers: a 良好 resident claims 信易游 once, the merchant redeems it once; every bad scan refused."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend.intercept.models import InterceptCheck
from backend.perks.models import Voucher
from backend.staff.models import Department, Role
from tests.factories.cards import bound_account, headers
from tests.factories.lists import make_listing
from tests.factories.perks import make_perk
from tests.factories.staff import make_department, make_staff, staff_headers

TODAY = date.today()


def _claim(client, app, account, perk, key="k-0001"):
    return client.post("/miniapp/v1/vouchers", json={"perk_code": perk.code},
                       headers={**headers(app, account), "Idempotency-Key": key})


def test_claim_redeem_once_and_a_second_scan_is_refused(app, client, db):
    account, person = bound_account(db, name="周小明")
    perk = make_perk(db, "travel", quota=5)
    cashier = make_staff(db, Role.MERCHANT, department=db.get(Department, perk.provider_id))
    db.flush()
    claimed = _claim(client, app, account, perk)
    assert claimed.status_code == 201, claimed.json
    assert claimed.json["status"] == "issued" and claimed.json["code"] and claimed.json["qr_png"]
    replay = _claim(client, app, account, perk)  # the same Idempotency-Key: the same voucher, no second one
    assert replay.json["id"] == claimed.json["id"]
    again = _claim(client, app, account, perk, key="k-0002")
    assert again.status_code == 409 and again.json["reason"] == "voucher_already_claimed"
    mine = client.get("/miniapp/v1/vouchers", headers=headers(app, account)).json["items"]
    assert [v["id"] for v in mine] == [claimed.json["id"]]

    h = staff_headers(app, cashier)
    first = client.post("/staff/v1/vouchers/redeem", json={"code": claimed.json["code"]}, headers=h)
    assert first.status_code == 200, first.json
    assert first.json["holder"].startswith("周") and "小明" not in first.json["holder"]
    assert "周小明" not in first.get_data(as_text=True)
    second = client.post("/staff/v1/vouchers/redeem", json={"code": claimed.json["code"]}, headers=h)
    assert second.status_code == 409 and second.json["reason"] == "voucher_already_redeemed"
    assert client.get("/miniapp/v1/vouchers", headers=headers(app, account)).json["items"][0]["code"] is None


def test_forged_expired_and_other_merchant_codes_are_refused_with_their_reason(app, client, db):
    account, person = bound_account(db)
    perk = make_perk(db, "travel", hours=1)
    cashier = make_staff(db, Role.MERCHANT, department=db.get(Department, perk.provider_id))
    elsewhere = make_staff(db, Role.MERCHANT)
    db.flush()
    code = _claim(client, app, account, perk).json["code"]
    h = staff_headers(app, cashier)
    forged = client.post("/staff/v1/vouchers/redeem", json={"code": code[:-3] + "abc"}, headers=h)
    assert forged.status_code == 422 and forged.json["reason"] == "voucher_forged"
    junk = client.post("/staff/v1/vouchers/redeem", json={"code": "不是券码"}, headers=h)
    assert junk.json["reason"] == "voucher_forged"
    other = client.post("/staff/v1/vouchers/redeem", json={"code": code}, headers=staff_headers(app, elsewhere))
    assert other.status_code == 403 and other.json["reason"] == "voucher_other_merchant"
    voucher = db.execute(select(Voucher)).scalar_one()
    voucher.expires_at = voucher.issued_at - timedelta(seconds=1)
    db.flush()
    expired = client.post("/staff/v1/vouchers/redeem", json={"code": code}, headers=h)
    assert expired.status_code == 410 and expired.json["reason"] == "voucher_expired"
    resident = client.post("/staff/v1/vouchers/redeem", json={"code": code}, headers=headers(app, account))
    assert resident.status_code == 401


def test_a_holder_listed_since_is_intercepted_at_redemption_and_logged(app, client, db):
    account, person = bound_account(db)
    perk = make_perk(db, "travel")
    cashier = make_staff(db, Role.MERCHANT, department=db.get(Department, perk.provider_id))
    db.flush()
    code = _claim(client, app, account, perk).json["code"]
    ban = make_listing(db, person.id, "ban", department_id=make_department(db).id, listed=TODAY, reason="文化旅游市场禁入")
    ban.domain = "文化旅游"
    db.flush()
    resp = client.post("/staff/v1/vouchers/redeem", json={"code": code}, headers=staff_headers(app, cashier))
    assert resp.status_code == 403 and resp.json["reason"] == "intercepted"
    assert "市场和行业禁入" in resp.json["message"]
    blocked = db.execute(select(InterceptCheck).where(InterceptCheck.blocked.is_(True))).scalars().all()
    assert [c.purpose for c in blocked] == ["voucher_redeem"]
    assert db.execute(select(Voucher)).scalar_one().status.value == "issued"


def test_a_listed_resident_cannot_claim_and_the_attempt_is_logged(app, client, db):
    account, person = bound_account(db)
    perk = make_perk(db, "travel")
    make_listing(db, person.id, "serious", department_id=make_department(db).id, listed=TODAY - timedelta(days=1))
    admin = make_staff(db, Role.CREDIT_ADMIN)
    db.flush()
    resp = _claim(client, app, account, perk)
    assert resp.status_code == 403 and resp.json["reason"] == "intercepted"
    log = client.get("/staff/v1/intercept/log?blocked=true", headers=staff_headers(app, admin)).json
    assert log["total"] == 1 and log["items"][0]["purpose"] == "perk_claim"
    assert log["items"][0]["perk_id"] == perk.id


def test_not_eligible_and_quota_used_up_are_refused(app, client, db):
    account, _ = bound_account(db)
    other, _ = bound_account(db, name="赵六")
    bus = make_perk(db, "transit", rule={"min_grade": "excellent"}, domain=None)
    scarce = make_perk(db, "rent", quota=1, domain=None)
    loan = make_perk(db, "loan", kinds=["firm"], rule={"min_grade": "B"}, domain=None)
    db.flush()
    low = _claim(client, app, account, bus)
    assert low.status_code == 403 and low.json["reason"] == "score_too_low" and "750" in low.json["message"]
    assert _claim(client, app, account, scarce).status_code == 201
    gone = _claim(client, app, other, scarce, key="k-other")
    assert gone.status_code == 409 and gone.json["reason"] == "quota_exhausted"
    assert _claim(client, app, account, loan, key="k-loan").json["reason"] == "perk_not_voucher"
    assert client.post("/miniapp/v1/vouchers", json={"perk_code": "NOPE"}, headers=headers(app, account)).status_code == 404

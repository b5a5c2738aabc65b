"""The merchant's scan page (issue 13 item 7): the cashier pastes or scans a voucher code and redeems it
once, seeing only the masked name, the perk and the result; every refusal in Chinese with its reason;
CSRF as on every console form; a double submit does one thing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.common.models import AuditEntry
from backend.intercept.models import InterceptCheck
from backend.perks.models import Voucher
from backend.staff.models import Department, Role
from tests.factories import make_department, make_staff
from tests.factories.cards import bound_account, headers
from tests.factories.lists import make_listing
from tests.factories.perks import make_perk
from tests.staff.console.helpers import csrf_of, login, text

PAGE = "/staff/vouchers/redeem"


@pytest.fixture
def shop(app, client, db):
    account, person = bound_account(db, name="周小明")
    perk = make_perk(db, "travel", quota=5)
    make_staff(db, Role.MERCHANT, department=db.get(Department, perk.provider_id), username="shop.cashier")
    db.flush()
    claimed = client.post("/miniapp/v1/vouchers", json={"perk_code": perk.code},
                          headers={**headers(app, account), "Idempotency-Key": "k-console-1"})
    assert claimed.status_code == 201, claimed.json
    return {"account": account, "person": person, "perk": perk, "code": claimed.json["code"]}


def scan(client, code, once=None):
    token = csrf_of(text(client.get(PAGE)))
    return client.post(PAGE, data={"csrf_token": token, "once": once or uuid.uuid4().hex, "code": code})


def redeemed(db) -> int:
    return db.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "voucher.redeem")).scalar()


def test_the_cashier_redeems_once_and_sees_only_the_masked_name(client, db, shop):
    assert login(client, "shop.cashier").status_code == 303
    form = client.get(PAGE)
    assert form.status_code == 200 and "核销权益券" in text(form) and 'name="code"' in text(form)
    assert "核销权益券" in text(client.get("/staff/"))  # in the merchant's menu

    once = uuid.uuid4().hex
    first = scan(client, f"  {shop['code']}\n", once)  # a scanner's trailing newline is fine
    assert first.status_code == 200, text(first)
    page = text(first)
    assert "核销成功" in page and "周*" in page and "小明" not in page
    assert shop["perk"].name in page and "免费讲解一次" in page
    assert shop["person"].id_number not in page

    # The same form sent again (a double click, a reload): not processed a second time.
    again = scan(client, shop["code"], once)
    assert again.status_code == 303
    assert "未重复核销" in text(client.get(again.headers["Location"]))
    assert redeemed(db) == 1
    # A new scan of the used code: refused by the service.
    second = scan(client, shop["code"])
    assert second.status_code == 409 and "券已核销过" in text(second) and "不能重复使用" in text(second)
    assert redeemed(db) == 1
    assert db.execute(select(Voucher)).scalar_one().status.value == "redeemed"


def test_every_refusal_is_shown_with_its_reason(client, db, shop):
    login(client, "shop.cashier")
    empty = scan(client, "   ")
    assert empty.status_code == 422 and "请扫描或粘贴券码" in text(empty)
    forged = scan(client, shop["code"][:-3] + "abc")
    assert forged.status_code == 422 and "券码无效" in text(forged) and 'data-reason="voucher_forged"' in text(forged)
    junk = scan(client, "不是券码" * 300)
    assert junk.status_code == 422 and "券码无效" in text(junk)
    voucher = db.execute(select(Voucher)).scalar_one()
    voucher.expires_at = voucher.issued_at - timedelta(seconds=1)
    db.flush()
    expired = scan(client, shop["code"])
    assert expired.status_code == 410 and "券已过期" in text(expired)
    assert db.execute(select(Voucher)).scalar_one().status.value == "issued"


def test_another_merchants_voucher_is_refused(client, db, shop):
    make_staff(db, Role.MERCHANT, username="other.cashier")
    db.flush()
    login(client, "other.cashier")
    resp = scan(client, shop["code"])
    assert resp.status_code == 403 and "非本店权益券" in text(resp) and "不能在本店核销" in text(resp)
    assert "周*" not in text(resp)


def test_a_listed_holder_is_intercepted_logged_and_not_exposed(client, db, shop):
    ban = make_listing(db, shop["person"].id, "ban", department_id=make_department(db).id,
                       listed=shop["perk"].valid_from, reason="文化旅游市场禁入")
    ban.domain, ban.decision_no = "文化旅游", "淮区文旅禁〔2026〕1号"
    db.flush()
    login(client, "shop.cashier")
    resp = scan(client, shop["code"])
    assert resp.status_code == 403 and "自动拦截" in text(resp)
    assert "淮区文旅禁" not in text(resp) and "周小明" not in text(resp)  # the cashier is not told the list entry
    blocked = db.execute(select(InterceptCheck).where(InterceptCheck.blocked.is_(True))).scalars().all()
    assert [c.purpose for c in blocked] == ["voucher_redeem"]  # kept although the request was refused
    assert db.execute(select(Voucher)).scalar_one().status.value == "issued"


def test_csrf_and_roles(client, db, shop, reviewer):
    login(client, "shop.cashier")
    no_token = client.post(PAGE, data={"code": shop["code"], "once": uuid.uuid4().hex})
    assert no_token.status_code == 400 and "安全校验码" in text(no_token)
    assert redeemed(db) == 0
    client.post("/staff/logout", data={"csrf_token": csrf_of(text(client.get(PAGE)))})
    login(client, "dept.reviewer")
    assert client.get(PAGE).status_code == 403
    assert "核销权益券" not in text(client.get("/staff/"))

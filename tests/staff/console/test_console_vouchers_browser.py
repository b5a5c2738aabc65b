"""The scan page in a real browser: a barcode scanner types the code and presses Enter, so the cashier
scans twice without touching the mouse — one redemption, then the refusal (Debian's chromium through
Playwright, the fixtures of ``test_console_browser.py``)."""

from __future__ import annotations

from backend.staff.models import Department, Role
from tests.factories import make_staff
from tests.factories.cards import bound_account, headers
from tests.factories.perks import make_perk
from tests.staff.console.test_console_browser import (  # noqa: F401 (fixtures)
    browser,
    keep,
    live,
    page,
    pytestmark,
    sign_in,
)


def test_a_scanner_redeems_a_voucher_once(page, live, app, client, db):  # noqa: F811
    account, _ = bound_account(db, name="郑小红")
    perk = make_perk(db, "travel")
    make_staff(db, Role.MERCHANT, department=db.get(Department, perk.provider_id), username="scan.cashier")
    db.flush()
    code = client.post("/miniapp/v1/vouchers", json={"perk_code": perk.code},
                       headers={**headers(app, account), "Idempotency-Key": "k-browser-1"}).json["code"]
    sign_in(page, live, "scan.cashier")
    page.click("text=核销权益券")
    page.wait_for_url(live.url("/staff/vouchers/redeem"))
    assert page.evaluate("document.activeElement.id") == "f-code"  # ready for the scanner
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector("#redeem-result")
    keep(page, "voucher_redeemed")
    result = page.inner_text("#redeem-result")
    assert "核销成功" in result and "郑*" in result and "小红" not in page.content()
    page.keyboard.type(code)  # the box has the focus again: the next customer, or the same code twice
    page.keyboard.press("Enter")
    page.wait_for_selector("#redeem-refusal")
    assert "券已核销过" in page.inner_text("#redeem-refusal")

"""The console in a real browser: Playwright (PyPI) driving Debian's chromium against the app served
on a local port, on the test's database (PostgreSQL + Redis when configured, else SQLite).

One browser for the whole session; each test gets its own server, browser context (cookies) and
page. A failed test leaves a screenshot under the pytest temporary directory (the path is printed).
Set ``CONSOLE_SCREENSHOTS=<dir>`` to also keep screenshots of the main pages.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from werkzeug.serving import make_server

from backend.subjects.models import AgencyStatus, FirmAgency
from tests.factories import STAFF_PASSWORD, make_department, make_person
from tests.staff.console.conftest import make_agency

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.server = make_server(host, 0, app, threaded=False)  # one request at a time: one DB connection
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        # "localhost": the console's plain-HTTP exception for the developer's own machine.
        return f"http://localhost:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def page(browser, live, request, tmp_path_factory):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        folder = tmp_path_factory.mktemp("console-screenshots", numbered=True)
        path = folder / f"{request.node.name}.png"
        pg.screenshot(path=str(path), full_page=True)
        print(f"\nscreenshot of the failed page: {path}")
    context.close()


def keep(page, name: str) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page, live, username: str, password: str = STAFF_PASSWORD) -> None:
    """Log in with the keyboard: the username box has the focus, Tab to the password, Enter."""
    page.goto(live.url("/staff/login"))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(live.url("/staff/"))


def test_reviewer_works_an_agency_request_with_the_keyboard_alone(page, live, db, admin, firm, agency):
    second = make_agency(db, firm, name="钱第二")
    db.flush()
    sign_in(page, live, "office.admin")
    keep(page, "dashboard")
    assert "企业授权" in page.inner_text("main")
    page.goto(live.url("/staff/queues/agency"))
    keep(page, "queue")
    # The first row has the focus, with a visible outline; j moves down, k back up.
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert f"/staff/queues/agency/{agency.id}?" in focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("j")
    assert f"/{second.id}?" in page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/queues/agency/{agency.id}?**")
    keep(page, "queue_item")
    # d: to the decision form; Space chooses 同意授权; Tab to the submit button; Enter.
    page.keyboard.press("d")
    page.keyboard.press("Space")
    for _ in range(12):
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "提交决定"
    page.keyboard.press("Enter")
    page.wait_for_selector("#result")
    assert "已授权" in page.inner_text("#result") and "已提交审核决定" in page.inner_text("main")
    db.expire_all()
    assert db.get(FirmAgency, agency.id).status == AgencyStatus.APPROVED
    assert db.get(FirmAgency, second.id).status == AgencyStatus.PENDING
    # u goes back to the queue, where the decided request has left the pending list.
    page.keyboard.press("u")
    page.wait_for_url("**/staff/queues/agency**")
    assert f"/{agency.id}?" not in page.inner_html("table")


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_batch_upload_with_two_bad_rows_returns_them_in_the_xlsx(page, live, db, reviewer, firm, tmp_path):
    person = make_person(db)
    db.flush()
    data = _xlsx([
        ["主体代码", "信息类别", "严重程度", "决定文书号", "决定日期", "标题"],
        [firm.uscc, "行政处罚", "一般", "淮区浏罚〔2026〕1号", "2026-06-01", "好的一行"],
        [firm.uscc, "行政处罚", "一般", "淮区浏罚〔2026〕2号", "2026-02-30", "日期不存在"],
        [person.id_number, "行政许可", None, "淮区浏许〔2026〕3号", "2026-06-02", "好的第二行"],
        ["91320803MA1XXXXXX1", "行政处罚", "一般", "淮区浏罚〔2026〕4号", "2026-06-01", "代码不对"],
    ])
    upload = tmp_path / "本月报送.xlsx"
    upload.write_bytes(data)
    sign_in(page, live, "dept.reviewer")
    page.goto(live.url("/staff/records/batch"))
    keep(page, "batch_form")
    page.set_input_files("#f-file", str(upload))
    page.click("text=上传并报送")
    page.wait_for_selector("#batch-accepted")
    keep(page, "batch_result")
    assert page.inner_text("#batch-accepted") == "2" and page.inner_text("#batch-rejected") == "2"
    with page.expect_download() as info:
        page.click("#download-refused")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [(r[0], r[2]) for r in rows[1:]] == [(2, "决定日期"), (4, "主体代码")]
    page.goto(live.url("/staff/records"))
    keep(page, "records")


def test_auditor_reads_the_audit_log_but_cannot_decide(page, live, db, auditor, agency):
    db.flush()
    sign_in(page, live, "office.auditor")
    page.goto(live.url("/staff/audit"))
    assert "agency.request" in page.inner_text("#audit-table")
    page.click("text=校验日志链")
    page.wait_for_selector("#chain-report")
    assert "日志链完整" in page.inner_text("#chain-report")
    keep(page, "audit")
    page.goto(live.url(f"/staff/queues/agency/{agency.id}"))
    assert "无权访问" in page.inner_text("main") and page.locator("form[data-decision]").count() == 0
    page.goto(live.url("/staff/audit"))
    token = page.get_attribute("input[name=csrf_token]", "value")
    resp = page.request.post(live.url(f"/staff/queues/agency/{agency.id}/decision"),
                             form={"csrf_token": token, "outcome": "approve"})
    assert resp.status == 403
    db.expire_all()
    assert db.get(FirmAgency, agency.id).status == AgencyStatus.PENDING


def test_posts_without_the_csrf_token_are_refused(page, live, db, admin, agency):
    db.flush()
    sign_in(page, live, "office.admin")
    # Same origin, without the token.
    resp = page.request.post(live.url(f"/staff/queues/agency/{agency.id}/decision"), form={"outcome": "approve"})
    assert resp.status == 400 and "安全校验码" in resp.text()
    # A page on another site posts a form at the console (cross-site request forgery).
    target = live.url(f"/staff/queues/agency/{agency.id}/decision")
    page.route("http://evil.test/**", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<form method="post" action="{target}"><input name="outcome" value="approve">'
             f'<button id="go">go</button></form>'))
    page.goto("http://evil.test/page")
    page.click("#go")
    page.wait_for_load_state()
    assert "安全校验码" in page.inner_text("body")
    db.expire_all()
    assert db.get(FirmAgency, agency.id).status == AgencyStatus.PENDING


def test_a_page_of_another_department_is_refused(page, live, db, reviewer, dept):
    other = make_department(db, short_name="别的局")
    db.flush()
    sign_in(page, live, "dept.reviewer")
    page.goto(live.url(f"/staff/departments/{dept.code}"))
    assert dept.name in page.inner_text("h1")
    resp = page.goto(live.url(f"/staff/departments/{other.code}"))
    assert resp.status == 403 and "只能处理本单位" in page.inner_text("main")


def test_a_scanner_redeems_a_voucher_once(page, live, app, client, db):
    """The merchant's scan page (issue 13 item 7): a barcode scanner types the code and presses Enter,
    so the cashier scans twice without the mouse — one redemption, then the refusal."""
    from backend.staff.models import Department, Role
    from tests.factories import make_staff
    from tests.factories.cards import bound_account, headers
    from tests.factories.perks import make_perk

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

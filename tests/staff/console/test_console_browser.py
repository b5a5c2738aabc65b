"""The console in a real browser: Playwright (PyPI) driving Debian's chromium against the app served
on a local port, on the test's database (PostgreSQL + Redis when configured, else SQLite).

One browser and one live server for the whole session (the server serves each test's own app, on
that test's database connection); each test gets its own browser context (cookies) and page. A failed
test leaves a screenshot under the pytest temporary directory (the path is printed).
Set ``CONSOLE_SCREENSHOTS=<dir>`` to also keep screenshots of the main pages.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from werkzeug.serving import make_server

from backend.objections.models import Objection, ObjectionStatus
from backend.queues.models import QueueItem
from backend.queues.services import item_for
from backend.staff.models import Role
from backend.subjects.models import AgencyStatus, FirmAgency
from tests.factories import STAFF_PASSWORD, make_department, make_person, make_staff
from tests.staff.console.conftest import make_agency

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

# Off CI only: .ci/run installs Debian's chromium, so in CI a missing browser fails these tests at launch.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed at /usr/bin/chromium: `apt-get install "
                                       "chromium` (.ci/run installs it; in CI its absence is a failure)")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


class LiveServer:
    """A local HTTP server, started once, that hands every request to the current test's app."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.app = None
        # one request at a time: the test's app has one database connection
        self.server = make_server(host, 0, self._dispatch, threaded=False)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _dispatch(self, environ, start_response):
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test app"]
        return self.app(environ, start_response)

    def url(self, path: str = "/") -> str:
        # "localhost": the console's plain-HTTP exception for the developer's own machine.
        return f"http://localhost:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture
def live(app, live_server):
    live_server.app = app
    yield live_server
    live_server.app = None


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
    # the browser gives the username box the focus (autofocus) a moment after the page loads: a person
    # starts typing once the cursor blinks there; typing earlier loses the first letters on a busy machine
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(live.url("/staff/"))


def test_reviewer_works_an_agency_request_with_the_keyboard_alone(page, live, db, admin, firm, agency):
    second = make_agency(db, firm, name="钱第二")
    db.flush()
    first_id, second_id = item_for(db, "agency", agency.id).id, item_for(db, "agency", second.id).id
    db.get(QueueItem, second_id).deadline += timedelta(days=1)  # the queue is by deadline: this one second
    db.flush()
    sign_in(page, live, "office.admin")
    keep(page, "dashboard")
    assert "企业授权" in page.inner_text("main")
    page.goto(live.url("/staff/queues/agency"))
    keep(page, "queue")
    # The first row has the focus, with a visible outline; j moves down, k back up.
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert f"/staff/queues/agency/{first_id}?" in focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("j")
    assert f"/{second_id}?" in page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/queues/agency/{first_id}?**")
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
    assert "同意授权" in page.inner_text("#result") and "已提交办理决定" in page.inner_text("main")
    assert "已授权" in page.inner_text("#item-facts")
    db.expire_all()
    assert db.get(FirmAgency, agency.id).status == AgencyStatus.APPROVED
    assert db.get(FirmAgency, second.id).status == AgencyStatus.PENDING
    # u goes back to the queue, where the decided request has left the pending list.
    page.keyboard.press("u")
    page.wait_for_url("**/staff/queues/agency**")
    assert f"/{first_id}?" not in page.inner_html("table")


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
    item_id = item_for(db, "agency", agency.id).id
    sign_in(page, live, "office.auditor")
    page.goto(live.url("/staff/audit"))
    assert "agency.request" in page.inner_text("#audit-table")
    page.click("text=校验日志链")
    page.wait_for_selector("#chain-report")
    assert "日志链完整" in page.inner_text("#chain-report")
    keep(page, "audit")
    page.goto(live.url(f"/staff/queues/agency/{item_id}"))
    assert "本人为公司财务负责人" in page.inner_text("main") and page.locator("form[data-decision]").count() == 0
    token = page.get_attribute("input[name=csrf_token]", "value")
    resp = page.request.post(live.url(f"/staff/queues/agency/{item_id}/decision"),
                             form={"csrf_token": token, "outcome": "approve"})
    assert resp.status == 403
    db.expire_all()
    assert db.get(FirmAgency, agency.id).status == AgencyStatus.PENDING


def test_posts_without_the_csrf_token_are_refused(page, live, db, admin, agency):
    db.flush()
    item_id = item_for(db, "agency", agency.id).id
    sign_in(page, live, "office.admin")
    # Same origin, without the token.
    resp = page.request.post(live.url(f"/staff/queues/agency/{item_id}/decision"), form={"outcome": "approve"})
    assert resp.status == 400 and "安全校验码" in resp.text()
    # A page on another site posts a form at the console (cross-site request forgery).
    target = live.url(f"/staff/queues/agency/{item_id}/decision")
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


# --- 异议申诉: the department's reviewer works an objection (issue 12 item 8) ----------------------


def focused(page, attr: str) -> str | None:
    return page.evaluate(f"document.activeElement && document.activeElement.getAttribute({attr!r})")


def tab_to(page, attr: str, value: str, limit: int = 60) -> None:
    """Press Tab until the focused element's ``attr`` is ``value`` (the keyboard's way to a field)."""
    for _ in range(limit):
        if focused(page, attr) == value:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached [{attr}={value!r}]; focus is on {focused(page, 'name')!r}")


def test_reviewer_works_an_objection_from_queue_to_correction_with_the_keyboard_alone(page, live, db, accepted,
                                                                                    reviewer):
    w = accepted
    url = f"/staff/queues/objection/{w.item_id}"
    sign_in(page, live, "dept.reviewer")
    assert "异议申诉" in page.inner_text("main")
    # dashboard → the objection queue, by Tab and Enter
    tab_to(page, "href", "/staff/queues/objection")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/queues/objection")
    keep(page, "objection_queue")
    assert f"{url}?" in focused(page, "href")  # the first row has the focus
    assert w.firm.uscc in page.inner_text("table") and "正常" in page.inner_text("table")
    # c claims the focused row; the item opens, held by me
    page.keyboard.press("c")
    page.wait_for_url(f"**{url}")
    assert "已领取" in page.inner_text("main") and "王审核" in page.inner_text("#assignment")
    keep(page, "objection_item")
    facts = page.inner_text("#item-facts")
    assert "信息错误" in facts and "该处罚金额录入有误" in facts and "欧阳申诉" not in facts
    assert "未按规定公示年度报告" in page.inner_text(f"#record-{w.record.id}")
    assert page.locator("#subject-card").count() == 1
    assert page.evaluate("document.querySelector('img.evidence').naturalWidth") == 40  # the image shows inline
    # d: to the decision form, on 维持; → moves to 更正; Tab to the reason and the fields to correct
    page.keyboard.press("d")
    assert focused(page, "value") == "maintain"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.querySelector('input[name=outcome]:checked').value") == "correct"
    tab_to(page, "name", "reason_text")
    page.keyboard.type("经核实，罚款金额录入有误")
    tab_to(page, "name", "summary")
    page.keyboard.type("罚款五百元")
    tab_to(page, "name", "amount_yuan")
    page.keyboard.type("500")
    for _ in range(30):
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "提交决定"
    page.keyboard.press("Enter")
    page.wait_for_selector("#result")
    keep(page, "objection_decided")
    assert "更正：经核实，罚款金额录入有误" in page.inner_text("#result")
    db.expire_all()
    objection = db.get(Objection, w.objection_id)
    assert objection.status == ObjectionStatus.CORRECTED
    assert "罚款五百元" in page.inner_text(f"#record-{objection.new_record_id}")
    # the applicant's card, through the mini-program API, shows the corrected record
    records = w.card_records()
    assert w.record.id not in records and records[objection.new_record_id]["summary"] == "罚款五百元"
    # u: back to the queue, where the decided item has left the open list
    page.keyboard.press("u")
    page.wait_for_url("**/staff/queues/objection**")
    assert f"{url}?" not in page.inner_html("table")


def test_a_second_reviewer_cannot_claim_the_same_objection(browser, page, live, db, accepted, reviewer, dept):
    w = accepted
    make_staff(db, Role.DEPT_REVIEWER, dept, username="dept.second", display_name="孙复核")
    db.flush()
    url = f"/staff/queues/objection/{w.item_id}"
    sign_in(page, live, "dept.second")
    page.goto(live.url(url))
    assert page.locator("#claim").count() == 1  # open, not yet claimed
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        first = other.new_page()
        sign_in(first, live, "dept.reviewer")
        first.goto(live.url(url))
        first.click("#claim")
        first.wait_for_selector("text=已领取")
    finally:
        other.close()
    page.click("#claim")  # the second reviewer's page is stale
    page.wait_for_selector("#stale-notice")
    assert "已被其他工作人员认领" in page.inner_text("#stale-notice") and "王审核" in page.inner_text("#assignment")
    db.expire_all()
    assert db.get(QueueItem, w.item_id).assignee_id == reviewer.id


def test_auditor_sees_the_objection_and_the_evidence_views_but_cannot_decide(page, live, db, accepted, auditor):
    w = accepted
    url = f"/staff/queues/objection/{w.item_id}"
    sign_in(page, live, "office.auditor")
    page.goto(live.url(url))
    assert "该处罚金额录入有误" in page.inner_text("#item-facts") and page.locator("form[data-decision]").count() == 0
    assert page.locator("#claim").count() == 0
    assert page.evaluate("document.querySelector('img.evidence').naturalWidth") == 40  # viewed once: audited
    pdf = page.request.get(live.url(f"{url}/files/{w.uploads[1]}"))  # what the PDF link opens
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline") and pdf.headers["x-content-type-options"] == "nosniff"
    page.goto(live.url("/staff/audit?action=upload.view"))
    rows = page.inner_text("#audit-table")
    assert rows.count("upload.view") == 2 and f"upload {w.uploads[0]}" in rows and f"upload {w.uploads[1]}" in rows
    assert "queue_item_id" in rows
    keep(page, "audit_evidence_views")
    token = page.get_attribute("input[name=csrf_token]", "value")
    resp = page.request.post(live.url(f"{url}/decision"), form={"csrf_token": token, "outcome": "maintain",
                                                                "reason_text": "维持"})
    assert resp.status == 403
    db.expire_all()
    assert db.get(QueueItem, w.item_id).is_open
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

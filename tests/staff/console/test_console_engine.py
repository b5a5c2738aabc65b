"""The console on the review-queue engine: one page per kind of KINDS, the objection worked from the
department's queue to a decision (issue 12 items 4 and 5), evidence files served only for their item."""

from __future__ import annotations

from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.objections.models import Objection, ObjectionStatus
from backend.queues.kinds import KINDS
from backend.queues.models import QueueItem
from backend.records.models import CreditRecord
from backend.staff.console.queues import QUEUES
from backend.staff.models import Role
from tests.factories import make_department, make_staff
from tests.queues.helpers import png_bytes
from tests.staff.console.helpers import login, post, text


def test_every_engine_kind_has_a_page_and_the_menu_follows_the_role(app, db, admin, reviewer, auditor):
    assert set(QUEUES) == set(KINDS)  # a kind added to KINDS gets its page without a console change
    bank = make_staff(db, Role.BANK_PARTNER, make_department(db, "bank"), username="bank.officer")
    make_staff(db, Role.MERCHANT, make_department(db, "merchant"), username="shop.cashier")
    db.flush()
    menus = {}
    for username in ("office.admin", "dept.reviewer", "office.auditor", "bank.officer", "shop.cashier"):
        c = app.test_client()
        login(c, username)
        menus[username] = text(c.get("/staff/"))
    for kind in KINDS.values():  # the credit office and auditors: every kind
        assert f"/staff/queues/{kind.name}" in menus["office.admin"]
        assert f"/staff/queues/{kind.name}" in menus["office.auditor"]
    assert "/staff/queues/objection" in menus["dept.reviewer"]
    # a partner bank's loan officer works loans only; a merchant's cashier works no queue
    assert "/staff/queues/loan" in menus["bank.officer"] and "/staff/queues/objection" not in menus["bank.officer"]
    assert "/staff/queues/" not in menus["shop.cashier"] and "没有需要办理的队列" in menus["shop.cashier"]
    c = app.test_client()
    login(c, bank.username)
    assert c.get("/staff/queues/objection").status_code == 403


def test_reviewer_finds_claims_reads_and_corrects_an_objection(client, app, db, accepted, reviewer, dept):
    w = accepted
    login(client, "dept.reviewer")
    queue = text(client.get("/staff/queues/objection"))
    link = f"/staff/queues/objection/{w.item_id}?"
    assert link in queue and w.firm.uscc in queue and "办理中（核实）" in queue and "正常" in queue
    assert "异议申诉" in text(client.get("/staff/"))
    # filters: name, code, state, deadline badge, mine, department, sorting, paging
    assert link in text(client.get("/staff/queues/objection", query_string={"q": "异议控制台"}))
    assert link in text(client.get("/staff/queues/objection", query_string={"q": w.firm.uscc.lower()}))
    assert link not in text(client.get("/staff/queues/objection", query_string={"q": "没有这家"}))
    assert link in text(client.get("/staff/queues/objection", query_string={"state": "verifying", "sort": "newest"}))
    assert link not in text(client.get("/staff/queues/objection", query_string={"state": "pending"}))
    assert link in text(client.get("/staff/queues/objection", query_string={"deadline": "ok"}))
    assert link not in text(client.get("/staff/queues/objection", query_string={"deadline": "overdue"}))
    assert link in text(client.get("/staff/queues/objection", query_string={"department": dept.code}))
    assert link not in text(client.get("/staff/queues/objection", query_string={"mine": "1"}))
    bad_code = text(client.get("/staff/queues/objection", query_string={"q": "91320803MA1XXXXXX1"}))
    assert 'id="err-q"' in bad_code  # a mistyped code says so (no 500, nothing echoed but the form)
    for bad in ({"state": "nope"}, {"page": "x"}, {"sort": "drop"}, {"per_page": "-1"}, {"deadline": "?"},
                {"department": "NOPE"}):
        assert client.get("/staff/queues/objection", query_string=bad).status_code == 200

    url = f"/staff/queues/objection/{w.item_id}"
    page = text(client.get(url))
    # the facts from describe: ground, statement, applicant masked; the record with its versions; the card
    assert "信息错误" in page and "该处罚金额录入有误" in page and "欧阳申诉" not in page and "欧*" in page
    assert f'id="record-{w.record.id}"' in page and "未按规定公示年度报告" in page and "异议中" in page
    assert 'id="subject-card"' in page and "信用名片" in page
    assert 'id="item-timeline"' in page and "受理" in page and "材料齐全，予以受理" in page
    for upload_id in w.uploads:
        assert f"{url}/files/{upload_id}" in page
    assert page.count('<img src="') == 1  # the PNG inline, the PDF as a link to open
    assert "维持" in page and "更正" in page and "撤销" in page and "不予受理" not in page

    claimed = post(client, f"{url}/claim", page=url)
    assert claimed.status_code == 303
    assert f"/staff/queues/objection/{w.item_id}?" in text(client.get("/staff/queues/objection", query_string={"mine": "1"}))
    assert "王审核" in text(client.get(url))

    # 更正 without a reason or without changes: the form comes back with the field's error
    resp = post(client, f"{url}/decision", {"outcome": "correct", "seen_state": "verifying", "summary": "罚款五百元"},
                page=url)
    assert resp.status_code == 422 and 'id="err-reason_text"' in text(resp) and "罚款五百元" in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "correct", "seen_state": "verifying",
                                            "reason_text": "经核实，罚款金额录入有误"}, page=url)
    assert resp.status_code == 422 and 'id="err-changes"' in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "correct", "seen_state": "verifying", "amount_yuan": "500",
                                            "summary": "罚款五百元", "reason_text": "经核实，罚款金额录入有误"}, page=url)
    assert resp.status_code == 303
    done = text(client.get(url))
    assert 'id="result"' in done and "更正：经核实，罚款金额录入有误" in done and "data-decision" not in done
    objection = db.get(Objection, w.objection_id)
    db.refresh(objection)
    assert objection.status == ObjectionStatus.CORRECTED
    new = db.get(CreditRecord, objection.new_record_id)
    assert new.version == 2 and new.summary == "罚款五百元"
    assert f'id="record-{new.id}"' in done  # the new version is shown with the history
    records = w.card_records()
    assert w.record.id not in records and records[new.id]["summary"] == "罚款五百元"


def test_evidence_files_are_served_inline_only_for_their_item_and_each_view_is_audited(client, db, accepted, admin):
    w = accepted
    login(client, "office.admin")
    base = f"/staff/queues/objection/{w.item_id}/files"
    png, pdf = w.uploads
    image = client.get(f"{base}/{png}")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert image.headers["Content-Disposition"].startswith("inline")
    assert image.headers["X-Content-Type-Options"] == "nosniff" and image.headers["Cache-Control"] == "no-store"
    doc = client.get(f"{base}/{pdf}")
    assert doc.status_code == 200 and doc.mimetype == "application/pdf" and doc.data.startswith(b"%PDF")
    assert doc.headers["Content-Disposition"].startswith("inline") and "script-src" not in doc.headers["Content-Security-Policy"]
    views = db.execute(select(AuditEntry).where(AuditEntry.action == "upload.view")).scalars().all()
    assert sorted(int(v.target_id) for v in views) == sorted([png, pdf])
    # another upload of the same applicant, not named by this item: not served, nothing audited
    other = w.upload(w.app.test_client(), png_bytes(), "其他.png")
    assert client.get(f"{base}/{other}").status_code == 404
    assert client.get(f"/staff/queues/agency/{w.item_id}/files/{png}").status_code == 404  # wrong kind
    assert client.get(f"{base}/99999999").status_code == 404
    assert len(db.execute(select(AuditEntry).where(AuditEntry.action == "upload.view")).scalars().all()) == 2


def test_a_second_reviewer_cannot_claim_or_decide_an_item_held_by_the_first(app, db, accepted, reviewer, dept):
    w = accepted
    colleague = make_staff(db, Role.DEPT_REVIEWER, dept, username="dept.second", display_name="孙复核")
    db.flush()
    first, second = app.test_client(), app.test_client()
    login(first, "dept.reviewer")
    login(second, "dept.second")
    url = f"/staff/queues/objection/{w.item_id}"
    stale = text(second.get(url))  # the second reviewer's page, opened before the claim
    assert 'id="claim"' in stale
    assert post(first, f"{url}/claim", page=url).status_code == 303
    resp = post(second, f"{url}/claim", page=url)
    assert resp.status_code == 409 and "已被其他工作人员认领" in text(resp) and "王审核" in text(resp)
    resp = post(second, f"{url}/decision", {"outcome": "maintain", "seen_state": "verifying", "reason_text": "维持"},
                page=url)
    assert resp.status_code == 409 and "其他工作人员认领办理" in text(resp)
    item = db.get(QueueItem, w.item_id)
    db.refresh(item)
    assert item.is_open and item.assignee_id == reviewer.id
    # the holder gives it back; then hands it to the colleague
    assert post(first, f"{url}/release", page=url).status_code == 303
    db.refresh(item)
    assert item.assignee_id is None
    assert "孙复核" in text(first.get(url))  # a colleague to hand it to
    assert post(first, f"{url}/reassign", {"assignee_id": str(colleague.id), "note": "请孙复核办理"}, page=url).status_code == 303
    db.refresh(item)
    assert item.assignee_id == colleague.id
    assert "请孙复核办理" in text(second.get(url))
    bad = post(first, f"{url}/reassign", {"assignee_id": "abc"}, page=url)
    assert bad.status_code == 422 and "Traceback" not in text(bad)


def test_the_credit_office_refuses_with_a_reason_from_the_list_and_a_stale_page_says_so(app, client, db, filed, admin,
                                                                                       office):
    w = filed
    login(client, "office.admin")
    url = f"/staff/queues/objection/{w.item_id}"
    page = text(client.get(url))
    assert "受理" in page and "不予受理" in page and 'name="reason_choice"' in page and "非本人信息" in page
    resp = post(client, f"{url}/decision", {"outcome": "refuse", "seen_state": "pending", "reason_choice": "other"},
                page=url)
    assert resp.status_code == 422 and 'id="err-reason_text"' in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "refuse", "seen_state": "pending", "reason_text": "无关"},
                page=url)
    assert resp.status_code == 422 and 'id="err-reason_choice"' in text(resp) and "无关" in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "refuse", "seen_state": "pending", "reason_choice": "hack",
                                            "reason_text": "无关"}, page=url)
    assert resp.status_code == 422 and 'id="err-reason_choice"' in text(resp)
    # a colleague accepts it meanwhile (staff API); this page still shows 待受理
    other = make_staff(db, Role.CREDIT_ADMIN, office, username="office.second")
    db.flush()
    w.admin = other
    w.accept()
    resp = post(client, f"{url}/decision", {"outcome": "refuse", "seen_state": "pending", "reason_choice": "other",
                                            "reason_text": "与本区无关"}, page=url)
    assert resp.status_code == 409 and 'id="stale-notice"' in text(resp) and "办理中（核实）" in text(resp)
    assert db.get(Objection, w.objection_id).status != ObjectionStatus.REFUSED


def test_auditor_sees_the_item_and_its_evidence_views_but_cannot_decide(app, client, db, accepted, auditor, admin):
    w = accepted
    office = app.test_client()
    login(office, "office.admin")
    office.get(f"/staff/queues/objection/{w.item_id}/files/{w.uploads[0]}")
    login(client, "office.auditor")
    url = f"/staff/queues/objection/{w.item_id}"
    page = text(client.get(url))
    assert "该处罚金额录入有误" in page and "data-decision" not in page and 'id="claim"' not in page
    assert f"{url}/files/{w.uploads[0]}" in page
    assert client.get(f"{url}/files/{w.uploads[1]}").status_code == 200
    log = text(client.get("/staff/audit", query_string={"action": "upload.view"}))
    assert "共 2 条" in log and 'id="audit-table"' in log  # the office's view and the auditor's own
    assert post(client, f"{url}/decision", {"outcome": "maintain", "reason_text": "x"}).status_code == 403
    assert post(client, f"{url}/claim").status_code == 403
    item = db.get(QueueItem, w.item_id)
    db.refresh(item)
    assert item.is_open and item.assignee_id is None


def test_the_credit_office_dashboard_shows_each_departments_queue_work(app, db, accepted, admin, reviewer):
    """The dashboard's per-department figures (open, overdue, decided on time and late, the on-time rate
    and its chart) come from the queue statistics; a department reviewer does not get them."""
    c = app.test_client()
    login(c, "office.admin")
    page = text(c.get("/staff/"))
    assert "各单位办件时效" in page and 'id="work-figures"' in page and "各单位按时办结率" in page
    table = page.split('id="work-figures"', 1)[1].split("</table>", 1)[0]
    assert reviewer.department.short_name in table  # the routed objection is open there
    r = app.test_client()
    login(r, "dept.reviewer")
    assert "各单位办件时效" not in text(r.get("/staff/"))

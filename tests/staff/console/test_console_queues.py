"""Queue pages on the firm-agency queue (an engine kind, EngineQueue("agency")): list with badges and
filters, detail, decision, stale pages, roles. Items are addressed by their queue item id."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from backend.common.actor import Actor
from backend.common.clock import china_today
from backend.queues.models import QueueItem
from backend.queues.services import item_for
from backend.staff.console.queues import deadline_badge
from backend.subjects.agency import decide_agency
from backend.subjects.models import AgencyStatus
from tests.staff.console.conftest import make_agency
from tests.staff.console.helpers import login, post, text


def test_badges():
    today = date(2026, 12, 1)
    soon = date(2026, 12, 2)
    assert deadline_badge(date(2026, 11, 30), today, soon).label == "已逾期"
    assert deadline_badge(today, today, soon).label == "即将到期"
    assert deadline_badge(soon, today, soon).label == "即将到期"
    assert deadline_badge(date(2026, 12, 9), today, soon).label == "正常"
    assert deadline_badge(None, today, soon) is None


def item_of(db, agency) -> int:
    return item_for(db, "agency", agency.id).id


def _age(db, agency, days: int) -> None:
    """The request's review deadline ``days`` ago (it was filed long ago)."""
    db.execute(update(QueueItem).where(QueueItem.id == item_of(db, agency))
               .values(deadline=china_today() - timedelta(days=days)))
    db.flush()


def test_queue_lists_pending_requests_with_deadline_badges_and_filters(client, db, admin, firm, agency):
    old = make_agency(db, firm, name="孙较早")
    _age(db, old, 30)
    db.flush()
    login(client, "office.admin")
    html = text(client.get("/staff/queues/agency"))
    assert "企业授权" in html and firm.uscc in html and "已逾期" in html and "正常" in html
    assert "陈经办" not in html  # applicants are not in the list
    old_id, new_id = item_of(db, old), item_of(db, agency)
    overdue = text(client.get("/staff/queues/agency", query_string={"deadline": "overdue"}))
    assert f"/staff/queues/agency/{old_id}?" in overdue and f"/staff/queues/agency/{new_id}?" not in overdue
    normal = text(client.get("/staff/queues/agency", query_string={"deadline": "ok"}))
    assert f"/staff/queues/agency/{new_id}?" in normal and f"/staff/queues/agency/{old_id}?" not in normal
    detail = text(client.get(f"/staff/queues/agency/{new_id}"))
    assert "陈经办" not in detail and "陈*" in detail  # masked on the detail page, as in the API
    by_name = text(client.get("/staff/queues/agency", query_string={"q": "控制台测试"}))
    assert "共 2 条" in by_name
    assert "共 0 条" in text(client.get("/staff/queues/agency", query_string={"q": "没有这家"}))
    for bad in ({"state": "nope"}, {"page": "x"}, {"sort": "drop table"}, {"per_page": "-1"}, {"deadline": "?"}):
        assert client.get("/staff/queues/agency", query_string=bad).status_code == 200
    dash = text(client.get("/staff/"))
    assert "企业授权" in dash and "已逾期" in dash


def test_refusal_needs_a_reason_then_the_result_shows(client, db, admin, agency):
    db.flush()
    login(client, "office.admin")
    url = f"/staff/queues/agency/{item_of(db, agency)}"
    assert "本人为公司财务负责人" in text(client.get(url))
    resp = post(client, f"{url}/decision", {"outcome": "reject", "reason_text": ""}, page=url)
    assert resp.status_code == 422 and 'id="err-reason_text"' in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "", "reason_text": "我写的意见"}, page=url)
    assert resp.status_code == 422 and 'id="err-outcome"' in text(resp) and "我写的意见" in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "reject", "reason_choice": "申请人与企业无关联",
                                            "reason_text": "请由法定代表人授权"}, page=url)
    assert resp.status_code == 303
    page = text(client.get(url))
    assert "不予授权：申请人与企业无关联：请由法定代表人授权" in page and "提交决定" not in page
    assert "未通过" in page  # 授权状态
    db.refresh(agency)
    assert agency.status == AgencyStatus.REJECTED


def test_a_stale_page_says_someone_else_decided(client, db, admin, agency, office):
    from backend.staff.models import Role
    from tests.factories import make_staff

    other = make_staff(db, Role.CREDIT_ADMIN, office)
    db.flush()
    login(client, "office.admin")
    url = f"/staff/queues/agency/{item_of(db, agency)}"
    seen = text(client.get(url))
    assert 'name="seen_state" value="pending"' in seen
    decide_agency(db, Actor("staff", other.id, role="credit_admin"), agency.id, approve=True)
    db.flush()
    resp = post(client, f"{url}/decision", {"outcome": "approve", "seen_state": "pending"}, page="/staff/")
    assert resp.status_code == 409 and "已由其他工作人员处理" in text(resp) and 'id="stale-notice"' in text(resp)
    assert "已授权" in text(resp) and "同意授权" in text(resp)


def test_approve_with_a_bad_date_keeps_the_form(client, db, admin, agency):
    db.flush()
    login(client, "office.admin")
    url = f"/staff/queues/agency/{item_of(db, agency)}"
    resp = post(client, f"{url}/decision", {"outcome": "approve", "valid_until": "2020-01-01"}, page=url)
    assert resp.status_code == 422 and 'id="err-valid_until"' in text(resp) and 'value="2020-01-01"' in text(resp)
    resp = post(client, f"{url}/decision", {"outcome": "approve", "valid_until": "明年"}, page=url)
    assert resp.status_code == 422 and 'id="err-valid_until"' in text(resp)
    assert post(client, f"{url}/decision", {"outcome": "approve"}, page=url).status_code == 303
    db.refresh(agency)
    assert agency.status == AgencyStatus.APPROVED


def test_auditor_reads_but_cannot_decide_and_another_departments_reviewer_sees_nothing(client, app, db, auditor,
                                                                                       reviewer, agency):
    db.flush()
    url = f"/staff/queues/agency/{item_of(db, agency)}"
    audit = app.test_client()
    login(audit, "office.auditor")
    assert audit.get("/staff/queues/agency").status_code == 200
    page = text(audit.get(url))
    assert "本人为公司财务负责人" in page and "data-decision" not in page and 'id="claim"' not in page
    assert post(audit, f"{url}/decision", {"outcome": "approve"}).status_code == 403
    assert post(audit, f"{url}/claim").status_code == 403
    # Agency requests sit at the credit office: a reviewer of another department sees none of them.
    rev = app.test_client()
    login(rev, "dept.reviewer")
    assert f"{url}?" not in text(rev.get("/staff/queues/agency"))
    assert rev.get(url).status_code == 404
    assert post(rev, f"{url}/decision", {"outcome": "approve"}).status_code == 404
    db.refresh(agency)
    assert agency.status == AgencyStatus.PENDING


def test_unknown_queue_and_item(client, db, admin):
    db.flush()
    login(client, "office.admin")
    assert client.get("/staff/queues/loans").status_code == 404
    assert client.get("/staff/queues/agency/999999").status_code == 404
    assert client.get("/staff/queues/agency/99999999999999").status_code == 404


def test_department_pages_are_scoped(client, app, db, reviewer, dept, admin):
    from tests.factories import make_department

    other = make_department(db)
    db.flush()
    login(client, "dept.reviewer")
    assert client.get(f"/staff/departments/{dept.code}").status_code == 200
    resp = client.get(f"/staff/departments/{other.code}")
    assert resp.status_code == 403 and "本单位" in text(resp)
    assert client.get("/staff/departments/NOPE").status_code == 422
    office = app.test_client()
    login(office, "office.admin")
    assert office.get(f"/staff/departments/{other.code}").status_code == 200

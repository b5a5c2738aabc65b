"""信易批: 区行政审批局 records an approval application; an eligible firm's is marked 容缺受理 with the
basis and the firm's grade, a listed firm's is not (and the interception log shows why)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.intercept.models import InterceptCheck
from backend.staff.models import Role
from tests.factories.cards import firm
from tests.factories.lists import make_listing
from tests.factories.perks import make_perk
from tests.factories.staff import make_department, make_staff, seeded_department, staff_headers

TODAY = date.today()
URL = "/staff/v1/approvals"


@pytest.fixture
def bureau(app, db):
    xzsp = seeded_department(db, "XZSP")
    perk = make_perk(db, "approval", provider=xzsp, kinds=["firm"], rule={"min_grade": "B"}, domain=None)
    clerk = make_staff(db, Role.DEPT_REVIEWER, xzsp)
    other = make_staff(db, Role.DEPT_REVIEWER, make_department(db))
    admin = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    db.flush()
    return {"xzsp": xzsp, "perk": perk, "h": staff_headers(app, clerk), "ho": staff_headers(app, other),
            "hadmin": staff_headers(app, admin)}


def test_an_eligible_firm_is_marked_for_fast_track_with_the_basis_and_grade(client, db, bureau):
    good = firm(db, name="淮安区守信食品有限公司")
    db.flush()
    resp = client.post(URL, headers=bureau["h"], json={"firm": good.uscc, "matter": "食品经营许可（新办）",
                                                       "reference_no": "XZSP-2026-00017"})
    assert resp.status_code == 201, resp.json
    row = resp.json
    assert row["fast_track"] is True and row["marker"] == "容缺受理"
    assert row["grade"] in ("A", "B") and row["grade_label"]
    assert row["basis"].startswith("适用") and "淮政办发〔2020〕80号" in row["basis"] and f"{row['grade']}级" in row["basis"]
    listed = client.get(URL, headers=bureau["h"]).json
    assert listed["total"] == 1 and listed["items"][0]["marker"] == "容缺受理"
    assert listed["items"][0]["firm"]["uscc"] == good.uscc and listed["items"][0]["grade"] == row["grade"]


def test_a_listed_firm_is_not_marked_and_the_log_shows_why(client, db, bureau):
    bad = firm(db, name="淮安区失信建材有限公司")
    entry = make_listing(db, bad.id, "serious", department_id=make_department(db).id,
                         listed=TODAY - timedelta(days=10), expires=TODAY + timedelta(days=365), reason="虚假申报")
    entry.legal_basis = "《江苏省社会信用条例》"
    db.flush()
    resp = client.post(URL, headers=bureau["h"], json={"firm": bad.uscc, "matter": "建筑业企业资质核准"})
    assert resp.status_code == 201, resp.json
    assert resp.json["fast_track"] is False and resp.json["marker"] is None
    assert resp.json["basis"].startswith("不适用容缺受理") and "严重失信主体名单" in resp.json["basis"]
    check = db.get(InterceptCheck, resp.json["intercept_check_id"])
    assert check.purpose == "approval_mark" and check.blocked is True and check.hits == 1
    log = client.get(f"/staff/v1/intercept/log?subject_code={bad.uscc}&purpose=approval_mark",
                     headers=bureau["hadmin"]).json
    assert log["total"] == 1 and log["items"][0]["hits"][0]["list_type"] == "serious"
    assert client.get(f"{URL}?fast_track=false", headers=bureau["h"]).json["total"] == 1
    assert client.get(f"{URL}?fast_track=true", headers=bureau["h"]).json["total"] == 0


def test_scope_and_bad_input(client, db, bureau):
    good = firm(db, name="淮安区守信商贸有限公司")
    db.flush()
    assert client.post(URL, headers=bureau["h"], json={"firm": good.uscc, "matter": "药品零售许可"}).status_code == 201
    # Another department sees nothing of the bureau's list and has no 信易批 perk to mark with.
    assert client.get(URL, headers=bureau["ho"]).json["total"] == 0
    none = client.post(URL, headers=bureau["ho"], json={"firm": good.uscc, "matter": "x"})
    assert none.status_code == 422 and none.json["reason"] == "no_approval_perk"
    assert client.get(URL, headers=bureau["hadmin"]).json["total"] == 1
    empty = client.post(URL, headers=bureau["h"], json={"firm": good.uscc, "matter": "  "})
    assert empty.status_code == 422 and empty.json["reason"] == "matter_required"
    wrong = client.post(URL, headers=bureau["h"], json={"firm": "123", "matter": "药品零售许可"})
    assert wrong.status_code == 422
    future = client.post(URL, headers=bureau["h"], json={"firm": good.uscc, "matter": "药品零售许可",
                                                         "received_on": str(TODAY + timedelta(days=3))})
    assert future.status_code == 422 and future.json["reason"] == "received_on_future"
    assert db.execute(select(InterceptCheck).where(InterceptCheck.purpose == "approval_mark")).scalars().all()

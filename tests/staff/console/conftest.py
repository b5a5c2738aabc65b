"""Fixtures of the console tests: a department with its reviewer, the credit office, an auditor, a firm."""

from __future__ import annotations

import io

import pytest

from backend.common.actor import Actor
from backend.queues.services import item_for
from backend.staff.models import OrgType, Role
from backend.subjects.agency import request_agency
from tests.factories import (
    account_headers,
    bound_account,
    make_account,
    make_department,
    make_firm,
    make_person,
    make_staff,
    staff_headers,
)
from tests.queues.helpers import pdf_bytes, penalty, png_bytes


@pytest.fixture
def dept(db):
    return make_department(db, record_kinds=["admin_penalty", "admin_license"], short_name="测试局")


@pytest.fixture
def reviewer(db, dept):
    return make_staff(db, Role.DEPT_REVIEWER, dept, username="dept.reviewer", display_name="王审核")


@pytest.fixture
def office(db):
    return make_department(db, OrgType.CREDIT_OFFICE, short_name="信用办")


@pytest.fixture
def admin(db, office):
    return make_staff(db, Role.CREDIT_ADMIN, office, username="office.admin", display_name="李管理")


@pytest.fixture
def auditor(db, office):
    return make_staff(db, Role.AUDITOR, office, username="office.auditor", display_name="赵审计")


@pytest.fixture
def firm(db):
    return make_firm(db, name="淮安区控制台测试有限公司", legal_rep=make_person(db, name="周法人"))


def make_agency(db, firm, name: str = "陈经办"):
    """A pending firm-agency request, filed through the mini-program's service."""
    person = make_person(db, name=name)
    account = make_account(db, person_id=person.id, identity_level="self_declared")
    agency = request_agency(db, Actor("account", account.id), uscc=firm.uscc, note="本人为公司财务负责人")
    db.flush()
    return agency


@pytest.fixture
def agency(db, firm):
    return make_agency(db, firm)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # The browser tests take a screenshot when a test failed: they read the outcome from the item.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- 异议申诉 filed through the mini-program API ----------------------------------------------


class Filed:
    """An objection filed in the mini-program by a firm's legal representative, with two evidence
    files (a PNG and a PDF), against a penalty the department's reviewer submitted."""

    def __init__(self, app, db, reviewer, admin) -> None:
        self.app, self.db, self.admin = app, db, admin
        self.rep = make_person(db, name="欧阳申诉")
        self.account, _ = bound_account(db, self.rep)
        self.firm = make_firm(db, name="淮安区异议控制台有限公司", legal_rep=self.rep)
        self.record = penalty(db, reviewer, self.firm.uscc, title="未按规定公示年度报告", summary="罚款一千元")
        db.flush()
        self.h = account_headers(app, self.account)
        client = app.test_client()
        self.uploads = [self.upload(client, png_bytes(size=(40, 30)), "处罚决定书.png"),
                        self.upload(client, pdf_bytes(), "复议决定书.pdf")]
        resp = client.post("/miniapp/v1/objections", headers=self.h, json={
            "record_id": self.record.id, "ground": "wrong", "statement": "该处罚金额录入有误，附复议决定书。",
            "evidence_upload_ids": self.uploads, "promise_acknowledged": True})
        assert resp.status_code == 201, resp.json
        self.objection_id = resp.json["id"]
        self.item_id = item_for(db, "objection", self.objection_id).id

    def upload(self, client, content: bytes, name: str) -> int:
        resp = client.post("/miniapp/v1/uploads", data={"file": (io.BytesIO(content), name)}, headers=self.h,
                           content_type="multipart/form-data")
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    def accept(self) -> None:
        """The credit office accepts it (staff JSON API): routed to the record's department."""
        resp = self.app.test_client().post(f"/staff/v1/queues/items/{self.item_id}/decide",
                                           headers=staff_headers(self.app, self.admin),
                                           json={"outcome": "accept", "reason": "材料齐全，予以受理"})
        assert resp.status_code == 200 and resp.json["state"] == "verifying", resp.json

    def card_records(self) -> dict[int, dict]:
        """The applicant's view of the firm's card, through the mini-program API."""
        card = self.app.test_client().get(f"/miniapp/v1/firms/{self.firm.uscc}/card", headers=self.h).json
        return {r["id"]: r for r in card["records"]}


@pytest.fixture
def filed(app, db, reviewer, admin):
    return Filed(app, db, reviewer, admin)


@pytest.fixture
def accepted(filed):
    filed.accept()
    return filed

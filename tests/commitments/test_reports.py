"""The monthly report to the city (登记表, 违诺信息表) and recording a breach in one action."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backend.commitments.reports import COLUMNS, previous_month, write_report
from backend.common.actor import SYSTEM
from backend.common.clock import china_today
from backend.evaluation.models import Evaluation
from backend.lists.models import ListEntry, ListType
from backend.records.models import CreditRecord, RecordKind
from backend.staff.models import Role
from tests.factories import make_firm, make_person, make_staff, seeded_department, staff_headers

URL = "/staff/v1/commitments"
LAST_MONTH = previous_month()


@pytest.fixture
def scjg(app, db):
    user = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG"))
    db.commit()
    return staff_headers(app, user)


@pytest.fixture
def xzsp(app, db):
    user = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "XZSP"))
    db.commit()
    return staff_headers(app, user)


def register(client, hdrs, code, day, n, ctype="disclosure"):
    resp = client.post(URL, json={
        "subject_code": code, "type": ctype, "matter": f"守法诚信经营承诺{n}", "content": "依法诚信经营。",
        "signed_on": day.isoformat(), "valid_until": (day + timedelta(days=364)).isoformat(),
        "document_no": f"淮区信诺〔2026〕{n}号"}, headers=hdrs)
    assert resp.status_code == 201, resp.json
    return resp.json


def rows_of(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def download(client, hdrs, month, table):
    return client.get(f"{URL}/reports/{month}/{table}.xlsx", headers=hdrs)


def test_the_registration_table_holds_the_months_commitments_in_one_reproducible_order(client, db, scjg, xzsp):
    firm, person = make_firm(db, name="淮安区报表测试有限公司"), make_person(db, name="赵报表")
    db.commit()
    c1 = register(client, scjg, firm.uscc, LAST_MONTH + timedelta(days=3), 1)
    register(client, scjg, person.id_number, LAST_MONTH, 2, ctype="certification")
    register(client, xzsp, firm.uscc, LAST_MONTH + timedelta(days=1), 3)  # another department's
    register(client, scjg, firm.uscc, china_today(), 4)  # this month: next month's report
    month = f"{LAST_MONTH:%Y-%m}"
    first = download(client, scjg, month, "registration")
    assert first.status_code == 200 and first.mimetype.endswith("spreadsheetml.sheet")
    rows = rows_of(first.data)
    assert rows[1] == COLUMNS
    body = rows[2:]
    assert [r[1] for r in body] == ["淮区信诺〔2026〕2号", "淮区信诺〔2026〕1号"]  # by signing date; SCJG's only
    person_row = body[0]
    assert person_row[5] != "赵报表" and person.id_number not in person_row  # persons masked
    assert body[1][6] == firm.uscc and body[1][10] == "是" and body[1][14].endswith(f"/staff/v1/commitments/{c1['id']}")
    assert rows_of(download(client, scjg, month, "registration").data) == rows  # reproducible
    admin = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    db.commit()
    everything = rows_of(download(client, staff_headers(client.application, admin), month, "registration").data)
    assert len(everything) == 2 + 3


def test_a_month_not_yet_over_or_malformed_is_refused(client, scjg):
    this_month = f"{china_today():%Y-%m}"
    resp = download(client, scjg, this_month, "registration")
    assert resp.status_code == 422 and resp.json["reason"] == "report_month_future"
    assert download(client, scjg, "2999-01", "breaches").json["reason"] == "report_month_future"
    assert download(client, scjg, "2026-13", "breaches").json["reason"] == "report_month_invalid"
    assert download(client, scjg, f"{LAST_MONTH:%Y-%m}", "other").json["reason"] == "report_table_invalid"


def test_recording_a_breach_creates_the_record_lists_the_firm_and_lowers_the_grade(client, db, scjg):
    firm = make_firm(db, name="淮安区违诺测试有限公司")
    db.commit()
    card = client.get(f"/public/v1/firms/{firm.uscc}/card").json
    score_before = db.get(Evaluation, firm.id).score
    created = register(client, scjg, firm.uscc, LAST_MONTH, 9)
    resp = client.post(f"{URL}/{created['id']}/breach", headers=scjg, json={
        "decision_no": "淮区市监诺违〔2026〕3号", "note": "承诺期内未按承诺公示年度报告",
        "decision_date": (LAST_MONTH + timedelta(days=20)).isoformat()})
    assert resp.status_code == 200, resp.json
    assert resp.json["status_label"] == "已违诺" and resp.json["breach_record_id"]
    record = db.get(CreditRecord, resp.json["breach_record_id"])
    assert record.kind == RecordKind.COMMITMENT_BREACH and record.subject_id == firm.id
    entry = db.execute(select(ListEntry).where(ListEntry.subject_id == firm.id)).scalar_one()
    assert entry.list_type == ListType.WATCH and entry.record_id == record.id and "淮区信诺〔2026〕9号" in entry.legal_basis

    after = client.get(f"/public/v1/firms/{firm.uscc}/card").json
    db.expire_all()
    assert db.get(Evaluation, firm.id).score < score_before
    assert after["evaluation"]["grade"] >= card["evaluation"]["grade"]  # A best … D worst: never better
    table = rows_of(download(client, scjg, f"{LAST_MONTH:%Y-%m}", "breaches").data)[2:]
    assert [(r[1], r[12], r[13]) for r in table] == [("淮区信诺〔2026〕9号", "承诺期内未按承诺公示年度报告",
                                                     "淮区市监诺违〔2026〕3号")]
    again = client.post(f"{URL}/{created['id']}/breach", headers=scjg, json={"decision_no": "x", "note": "y"})
    assert again.status_code == 409 and again.json["reason"] == "commitment_not_active"


def test_the_report_command_writes_both_tables(app, db, tmp_path):
    firm = make_firm(db)
    db.commit()
    from backend.commitments.services import register_commitment

    register_commitment(db, SYSTEM, subject_code=firm.uscc, commitment_type="industry", matter="行业自律承诺",
                        content="遵守行业公约。", signed_on=LAST_MONTH, department_code="SCJG", document_no="X-1")
    db.commit()
    result = app.test_cli_runner().invoke(args=["commitments", "report", "--month", f"{LAST_MONTH:%Y-%m}",
                                                "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "registration: 1 rows" in result.output and "breaches: 0 rows" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"commitments-{LAST_MONTH:%Y-%m}-breaches.xlsx",
                                                          f"commitments-{LAST_MONTH:%Y-%m}-registration.xlsx"]
    future = app.test_cli_runner().invoke(args=["commitments", "report", "--month", "2999-01", "--out", str(tmp_path)])
    assert future.exit_code != 0 and "report_month_future" in future.output
    buf = io.BytesIO()
    assert write_report(db, SYSTEM, "registration", LAST_MONTH, buf) == 1

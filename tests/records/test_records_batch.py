"""Batch submission: every row checked on its own, good rows kept, bad rows reported; CSV import."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.calendar.workdays import add_working_days
from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.errors import DomainError
from backend.records.ingest import read_csv, submit_batch
from backend.records.models import CreditRecord, RecordBatch
from backend.records.services import submit_record
from backend.staff.models import Role
from tests.factories import make_department, make_firm, make_person, make_staff

TODAY = date(2026, 11, 27)


@pytest.fixture
def dept(db):
    return make_department(db, record_kinds=["admin_penalty", "admin_license"])


@pytest.fixture
def reviewer(db, dept):
    user = make_staff(db, Role.DEPT_REVIEWER, dept)
    return Actor("staff", user.id, role="dept_reviewer", department_id=dept.id)


def row(code, n, **over):
    r = {"subject_code": code, "kind": "行政处罚", "severity": "一般", "decision_no": f"淮区罚〔2026〕{n}号",
         "decision_date": "2026-06-01", "title": "违法行为"}
    r.update(over)
    return r


def count(db, model) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_good_rows_kept_bad_rows_reported(db, reviewer, dept):
    firm, other = make_firm(db), make_firm(db)
    person = make_person(db)
    submit_record(db, reviewer, row(other.uscc, 99), today=TODAY)  # already on record
    rows = [
        row(firm.uscc, 1),
        row("914403001922038217", 2),  # check digit wrong
        row(firm.uscc, 3, severity=None),
        {"subject_code": "", "title": "空代码"},
        row(firm.uscc, 1, title="同一文书再报一次"),
        row(other.uscc, 99),  # duplicate of a stored record
        {},  # empty line: skipped, not counted
        row(person.id_number, 7, 严重程度="严重"),
        "not a row",
        row(firm.uscc, 8, decision_date="2027-01-01"),
    ]
    batch = submit_batch(db, reviewer, rows, today=TODAY)
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (9, 2, 7)
    by_row = {e["row"]: (e["reason"], e["field"]) for e in batch.errors}
    assert by_row == {
        2: ("uscc_check_digit", "subject_code"),
        3: ("severity_required", "severity"),
        4: ("uscc_empty", "subject_code"),
        5: ("duplicate_in_batch", "decision_no"),
        6: ("duplicate_record", "decision_no"),
        9: ("row_invalid", None),
        10: ("decision_date_future", "decision_date"),
    }
    assert all(e["message"] for e in batch.errors)
    stored = db.execute(select(CreditRecord).where(CreditRecord.batch_id == batch.id)).scalars().all()
    assert sorted(r.subject_id for r in stored) == sorted([firm.id, person.id])
    assert all(r.department_id == dept.id and r.created_by_id == reviewer.id for r in stored)
    audits = db.execute(select(AuditEntry).where(AuditEntry.action == "record.batch_submit")).scalars().all()
    assert len(audits) == 1 and audits[0].details["accepted"] == 2 and audits[0].details["rejected"] == 7
    # One audit row for the batch, not one per record (the single submission above wrote its own).
    assert db.execute(select(func.count()).where(AuditEntry.action == "record.create")).scalar_one() == 1


def test_batch_values_match_single_submission(db, reviewer):
    firm = make_firm(db)
    batch = submit_batch(db, reviewer, [row(firm.uscc, 1, amount_yuan="2,000")], today=TODAY)
    rec = db.execute(select(CreditRecord).where(CreditRecord.batch_id == batch.id)).scalar_one()
    single = submit_record(db, reviewer, row(firm.uscc, 2, amount_yuan="2,000"), today=TODAY)
    for col in ("kind", "polarity", "severity", "publicity_start", "publicity_min_end", "publicity_max_end",
                "publish_deadline", "published_late", "rule_version", "status", "version", "is_current", "amount_yuan"):
        assert getattr(rec, col) == getattr(single, col), col


def test_batch_deadlines_follow_the_holiday_calendar(db, reviewer):
    firm = make_firm(db)
    start = date(2025, 12, 20)
    days = [start + timedelta(days=i) for i in range(0, 300, 3)]
    batch = submit_batch(db, reviewer, [row(firm.uscc, i, decision_date=d.isoformat()) for i, d in enumerate(days)],
                         today=TODAY)
    assert batch.accepted_rows == len(days)
    got = dict(db.execute(select(CreditRecord.decision_date, CreditRecord.publish_deadline)
                          .where(CreditRecord.batch_id == batch.id)).all())
    assert got == {d: add_working_days(db, d, 7) for d in days}


def test_too_many_rows_stores_nothing(db, reviewer):
    firm = make_firm(db)
    err = None
    with pytest.raises(DomainError) as info:
        submit_batch(db, reviewer, [row(firm.uscc, i) for i in range(4)], max_rows=3, today=TODAY)
    err = info.value
    assert (err.status, err.reason) == (413, "batch_too_large")
    assert count(db, RecordBatch) == 0 and count(db, CreditRecord) == 0


def test_empty_batch_is_refused(db, reviewer):
    with pytest.raises(DomainError) as info:
        submit_batch(db, reviewer, [{}, {"title": ""}], today=TODAY)
    assert info.value.reason == "batch_empty"


def test_credit_office_batch_for_another_department(db):
    court = make_department(db, "court", record_kinds=["judgment_defaulter"])
    admin_user = make_staff(db, Role.CREDIT_ADMIN)
    admin = Actor("staff", admin_user.id, role="credit_admin", department_id=admin_user.department_id)
    firm = make_firm(db)
    batch = submit_batch(db, admin, [row(firm.uscc, 1, kind="失信被执行人", severity=None)],
                         department_code=court.code, today=TODAY)
    assert batch.department_id == court.id and batch.accepted_rows == 1


def test_reviewer_cannot_batch_for_another_department(db, reviewer):
    other = make_department(db, record_kinds=["admin_penalty"])
    with pytest.raises(DomainError) as info:
        submit_batch(db, reviewer, [row("x", 1)], department_code=other.code, today=TODAY)
    assert (info.value.status, info.value.reason) == (403, "department_forbidden")


# --- CSV ----------------------------------------------------------------------------------

CN_HEADER = "主体代码,信息类别,严重程度,决定文书号,决定日期,标题,内容,依据,领域,金额\n"


def test_csv_chinese_headers_utf8_bom_and_gbk(db, reviewer):
    firm = make_firm(db)
    text = CN_HEADER + f"{firm.uscc},行政处罚,一般,淮区罚〔2026〕5号,2026/6/1,超范围经营,罚款,条例,食品,3000\n\n"
    for data in (("\ufeff" + text).encode("utf-8"), text.encode("gbk")):
        rows = read_csv(data)
        assert rows == [{"subject_code": firm.uscc, "kind": "行政处罚", "severity": "一般",
                         "decision_no": "淮区罚〔2026〕5号", "decision_date": "2026/6/1", "title": "超范围经营",
                         "summary": "罚款", "legal_basis": "条例", "domain": "食品", "amount_yuan": "3000"}]
    batch = submit_batch(db, reviewer, read_csv(text.encode("gbk")), source="csv", today=TODAY)
    rec = db.execute(select(CreditRecord).where(CreditRecord.batch_id == batch.id)).scalar_one()
    assert (rec.domain, rec.amount_yuan, rec.title) == ("食品", 3000, "超范围经营")


def test_csv_english_headers_and_codes_as_text(db, reviewer):
    person = make_person(db)
    data = ("subject_code,kind,severity,decision_no,decision_date,title\n"
            f"{person.id_number},admin_penalty,minor,0012,2026-06-01,t\n"
            "9.14403E+17,admin_penalty,minor,0013,2026-06-01,t\n").encode()
    rows = read_csv(data)
    assert rows[0]["decision_no"] == "0012"
    batch = submit_batch(db, reviewer, rows, today=TODAY)
    assert batch.accepted_rows == 1
    assert batch.errors[0]["row"] == 2 and batch.errors[0]["reason"] == "uscc_length"
    assert "文本" in batch.errors[0]["message"]
    rec = db.execute(select(CreditRecord).where(CreditRecord.batch_id == batch.id)).scalar_one()
    assert rec.decision_no == "0012"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "csv_empty"),
        ("主体代码,标题\n1,2\n".encode(), "csv_header_missing"),
        (b"\xff\xfe\xff\xff\x81", "csv_encoding"),
        (b"subject_code,kind,decision_no,decision_date,title\na\x00b,c,d,e,f\n", "csv_invalid"),
    ],
)
def test_bad_csv_files(data, reason):
    with pytest.raises(DomainError) as info:
        read_csv(data)
    assert info.value.reason == reason and info.value.status == 422


def test_csv_too_many_rows():
    data = (CN_HEADER + "a,b,c,d,e,f,g,h,i,j\n" * 4).encode()
    with pytest.raises(DomainError) as info:
        read_csv(data, max_rows=3)
    assert (info.value.status, info.value.reason) == (413, "batch_too_large")

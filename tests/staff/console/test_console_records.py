"""Records work in the console: submit, batch upload (CSV and XLSX) with refused rows as XLSX, search, correct."""

from __future__ import annotations

import io
import uuid

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from backend.records.models import CreditRecord
from tests.factories import make_person
from tests.staff.console.helpers import csrf_of, login, post, text

GOOD = {"kind": "admin_penalty", "severity": "general", "decision_no": "淮区测罚〔2026〕1号",
        "decision_date": "2026-06-01", "title": "未按规定公示年度报告"}


def _records(db) -> int:
    return db.execute(select(func.count()).select_from(CreditRecord)).scalar_one()


def test_submit_one_record_and_find_it(client, db, reviewer, firm):
    db.flush()
    login(client, "dept.reviewer")
    resp = post(client, "/staff/records/new", {"subject_code": firm.uscc.lower(), **GOOD}, page="/staff/records/new")
    assert resp.status_code == 303
    detail = client.get(resp.headers["Location"])
    assert detail.status_code == 200 and "未按规定公示年度报告" in text(detail) and "第1版" in text(detail)
    found = client.get("/staff/records", query_string={"subject_code": firm.uscc})
    assert "淮区测罚〔2026〕1号" in text(found) and "共 1 条" in text(found)


def test_field_errors_in_chinese_keep_what_was_typed(client, db, reviewer, firm):
    db.flush()
    login(client, "dept.reviewer")
    before = _records(db)
    bad = {**GOOD, "subject_code": firm.uscc, "decision_date": "2026-13-45", "title": "我输入的标题"}
    resp = post(client, "/staff/records/new", bad, page="/staff/records/new")
    html = text(resp)
    assert resp.status_code == 422 and 'id="err-decision_date"' in html
    assert 'value="我输入的标题"' in html and f'value="{firm.uscc}"' in html
    resp = post(client, "/staff/records/new", {**GOOD, "subject_code": "91320803MA1XXXXXX1"}, page="/staff/records/new")
    assert resp.status_code == 422 and 'id="err-subject_code"' in text(resp)
    assert _records(db) == before


def test_a_double_submit_stores_one_record(client, db, reviewer, firm):
    db.flush()
    login(client, "dept.reviewer")
    token = csrf_of(text(client.get("/staff/records/new")))
    body = {"csrf_token": token, "once": uuid.uuid4().hex, "subject_code": firm.uscc, **GOOD}
    first = client.post("/staff/records/new", data=body)
    second = client.post("/staff/records/new", data=body)
    assert first.status_code == 303 and second.status_code == 303
    assert "未重复报送" in text(client.get(second.headers["Location"]))
    assert _records(db) == 1


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_batch_keeps_good_rows_and_returns_the_bad_ones_as_xlsx(client, db, reviewer, firm):
    person = make_person(db)
    db.flush()
    login(client, "dept.reviewer")
    header = ["主体代码", "信息类别", "严重程度", "决定文书号", "决定日期", "标题"]
    data = _xlsx([
        header,
        [firm.uscc, "行政处罚", "一般", "淮区测罚〔2026〕11号", "2026-06-01", "未按规定公示"],
        ["91320803MA1XXXXXX1", "行政处罚", "一般", "淮区测罚〔2026〕12号", "2026-06-01", "代码错"],
        [person.id_number, "行政许可", None, "淮区测许〔2026〕13号", "2026-06-02", "许可"],
        [firm.uscc, "行政处罚", None, "淮区测罚〔2026〕14号", "2026-06-03", "缺严重程度"],
    ])
    token = csrf_of(text(client.get("/staff/records/batch")))
    resp = client.post("/staff/records/batch", data={"csrf_token": token, "once": uuid.uuid4().hex,
                                                     "file": (io.BytesIO(data), "报送.xlsx")})
    assert resp.status_code == 303, text(resp)
    result = client.get(resp.headers["Location"])
    html = text(result)
    assert 'id="batch-accepted">2<' in html and 'id="batch-rejected">2<' in html
    assert person.id_number not in html
    link = html.split('id="download-refused" href="')[1].split('"')[0]
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("数据行号", "表格行号", "字段", "原因")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [(2, 3, "主体代码"), (4, 5, "严重程度")]
    assert _records(db) == 2


def test_csv_batch_and_files_that_are_not_tables(client, db, reviewer, firm):
    db.flush()
    login(client, "dept.reviewer")
    csv_text = f"主体代码,信息类别,严重程度,决定文书号,决定日期,标题\n{firm.uscc},行政处罚,一般,淮区测罚〔2026〕21号,2026-06-01,甲\n"
    token = csrf_of(text(client.get("/staff/records/batch")))

    def upload(content: bytes, name: str):
        return client.post("/staff/records/batch", data={"csrf_token": token, "once": uuid.uuid4().hex,
                                                         "file": (io.BytesIO(content), name)})

    assert upload(csv_text.encode("utf-8-sig"), "a.csv").status_code == 303
    for content, name in ((b"PK\x03\x04garbage", "b.xlsx"), (b"\x00\x01\x02", "c.csv"), (b"", "d.csv"),
                          ("名字,电话\n张三,1\n".encode(), "e.csv"), (_xlsx([["名字"]]), "f.xlsx")):
        resp = upload(content, name)
        assert resp.status_code == 422, (name, resp.status_code)
        assert 'id="err-file"' in text(resp)
    resp = client.post("/staff/records/batch", data={"csrf_token": token, "once": uuid.uuid4().hex})
    assert resp.status_code == 422 and "请选择" in text(resp)
    assert _records(db) == 1


def test_correct_a_record_needs_a_reason_and_makes_a_new_version(client, db, reviewer, firm):
    db.flush()
    login(client, "dept.reviewer")
    created = post(client, "/staff/records/new", {"subject_code": firm.uscc, **GOOD}, page="/staff/records/new")
    record_url = created.headers["Location"]
    record_id = int(record_url.rsplit("/", 1)[1])
    resp = post(client, f"/staff/records/{record_id}/correct", {"title": "更正后的标题", "reason": ""}, page=record_url)
    assert resp.status_code == 422 and 'id="err-reason"' in text(resp) and 'value="更正后的标题"' in text(resp)
    resp = post(client, f"/staff/records/{record_id}/correct", {"title": "更正后的标题", "reason": "文书标题录入错误"},
                page=record_url)
    assert resp.status_code == 303
    new = client.get(resp.headers["Location"])
    assert "第2版" in text(new) and "更正后的标题" in text(new) and "文书标题录入错误" in text(new)
    stale = post(client, f"/staff/records/{record_id}/correct", {"title": "再改", "reason": "x"}, page=record_url)
    assert stale.status_code == 409 and "最新版本" in text(stale)


def test_records_of_another_department_are_not_shown(client, app, db, reviewer, firm, admin):
    from backend.staff.models import Role
    from tests.factories import make_department, make_staff

    other_dept = make_department(db, record_kinds=["admin_penalty"])
    make_staff(db, Role.DEPT_REVIEWER, other_dept, username="other.reviewer")
    db.flush()
    login(client, "other.reviewer")
    created = post(client, "/staff/records/new", {"subject_code": firm.uscc, **GOOD}, page="/staff/records/new")
    record_url = created.headers["Location"]
    mine = app.test_client()
    login(mine, "dept.reviewer")
    assert mine.get(record_url).status_code == 404
    assert "共 0 条" in text(mine.get("/staff/records", query_string={"subject_code": firm.uscc}))
    office = app.test_client()
    login(office, "office.admin")
    assert office.get(record_url).status_code == 200


def test_search_input_errors_are_not_500(client, db, reviewer):
    db.flush()
    login(client, "dept.reviewer")
    # a mistyped filter: 422, the search page with the mistake next to its field; a bad page number: page 1
    for query, status in (({"from": "2026-02-30"}, 422), ({"subject_code": "1234"}, 422), ({"kind": "无此类别"}, 422),
                          ({"status": "x"}, 422), ({"page": "abc"}, 200), ({"page": "99999999999999999999"}, 200)):
        resp = client.get("/staff/records", query_string=query)
        assert resp.status_code == status, (query, resp.status_code)

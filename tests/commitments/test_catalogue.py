"""信用承诺事项清单: departments manage their items through the staff API and import them from XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.commitments.models import CommitmentItem, CommitmentTemplate
from backend.staff.models import Role
from tests.factories import make_staff, seeded_department, staff_headers

URL = "/staff/v1/commitment-items"
TEMPLATE = "本单位{主体名称}（统一社会信用代码：{主体代码}）就{承诺事项}郑重承诺：所提交材料真实有效。{签署日期}"
HEADER = ["事项编码", "事项名称", "承诺类型", "适用主体", "拒绝失信主体", "承诺期限（月）", "承诺书样式", "实施机关统一社会信用代码"]


@pytest.fixture
def scjg(app, db):
    user = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG"))
    db.commit()
    return staff_headers(app, user)


def item(**over):
    body = {"code": "SCJG-001", "name": "食品经营许可告知承诺", "type": "certification",
            "subject_kinds": ["firm", "sole_trader"], "term_months": 12, "template": TEMPLATE}
    body.update(over)
    return body


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def upload(client, hdrs, data: bytes):
    return client.post(f"{URL}/import", data={"file": (io.BytesIO(data), "清单.xlsx")}, headers=hdrs,
                       content_type="multipart/form-data")


def test_saving_an_item_versions_its_template_and_the_same_values_change_nothing(client, db, scjg):
    first = client.post(URL, json=item(), headers=scjg)
    assert first.status_code == 200, first.json
    assert first.json["outcome"] == "created" and first.json["template_version"] == 1
    assert first.json["department"]["code"] == "SCJG" and first.json["type_label"] == "证明事项告知承诺"
    again = client.post(URL, json=item(), headers=scjg)
    assert again.json["outcome"] == "unchanged" and again.json["id"] == first.json["id"]
    changed = client.post(URL, json=item(template=TEMPLATE + "如有不实，愿承担法律责任。"), headers=scjg)
    assert changed.json["outcome"] == "updated" and changed.json["template_version"] == 2
    versions = db.execute(select(CommitmentTemplate.version).where(
        CommitmentTemplate.item_id == first.json["id"]).order_by(CommitmentTemplate.version)).scalars().all()
    assert versions == [1, 2]  # the old text stays: letters signed from it still name it
    listed = client.get(URL, headers=scjg).json
    assert [i["code"] for i in listed["items"]] == ["SCJG-001"] and listed["total"] == 1


def test_an_unknown_placeholder_is_refused_with_the_ones_that_exist(client, scjg):
    resp = client.post(URL, json=item(template="本人{姓名}承诺"), headers=scjg)
    assert resp.status_code == 422 and resp.json["reason"] == "template_placeholder_unknown"
    assert "{姓名}" in resp.json["message"] and "{主体名称}" in resp.json["message"]


def test_import_keeps_good_rows_reports_bad_ones_and_a_reimport_changes_nothing(client, db, scjg):
    rows = [
        ["SCJG-101", "食品经营许可告知承诺", "证明事项告知承诺", "企业、个体工商户", "是", 12, TEMPLATE, None],
        ["SCJG-102", "餐饮行业自律承诺", "行业自律型", "企业、个体户", "否", 24, TEMPLATE, "113208030141604352"],
        ["SCJG-103", "无类型的事项", "随便写", "企业", "是", 12, TEMPLATE, None],
        ["SCJG-104", "代码是文本", "主动公示型", "企业", "是", 12, TEMPLATE, "914403001922038216"],
        ["SCJG-105", "代码被存成数字", "主动公示型", "企业", "是", 12, TEMPLATE, 914403001922038216],
        ["SCJG-106", "缺样式", "主动公示型", "企业", "是", 12, None, None],
    ]
    resp = upload(client, scjg, xlsx(rows))
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert (body["created"], body["updated"], body["unchanged"], body["refused"]) == (3, 0, 0, 3)
    by_row = {e["row"]: e for e in body["errors"]}
    assert by_row[4]["reason"] == "type_invalid" and by_row[7]["reason"] == "template_required"
    assert by_row[6]["reason"] == "uscc_digits_lost" and "文本" in by_row[6]["message"]
    stored = db.execute(select(CommitmentItem.code, CommitmentItem.agency_uscc, CommitmentItem.subject_kinds)
                        .order_by(CommitmentItem.code)).all()
    assert [tuple(r) for r in stored] == [
        ("SCJG-101", None, ["firm", "sole_trader"]),
        ("SCJG-102", "113208030141604352", ["firm", "sole_trader"]),
        ("SCJG-104", "914403001922038216", ["firm"]),  # a text cell is read as typed
    ]
    again = upload(client, scjg, xlsx(rows)).json
    assert (again["created"], again["updated"], again["unchanged"], again["refused"]) == (0, 0, 3, 3)
    assert db.execute(select(func.count()).select_from(CommitmentTemplate)).scalar_one() == 3


def test_a_file_that_is_not_a_workbook_or_too_large_is_refused(app, client, scjg):
    resp = upload(client, scjg, b"name,code\n")
    assert resp.status_code == 422 and resp.json["reason"] == "xlsx_invalid"
    big = upload(client, scjg, b"0" * (60 * 1024 * 1024))
    assert big.status_code == 413 and big.json["reason"] == "payload_too_large"


def test_a_department_reviewer_cannot_write_another_departments_catalogue(client, scjg):
    resp = client.post(URL, json=item(department_code="XZSP"), headers=scjg)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"


def test_the_demo_seed_loads_a_catalogue_for_the_districts_departments_once(app, db):
    from backend.commitments.signing import current_notice
    from backend.demo.seed import seed_demo
    from backend.staff.models import Department

    seed_demo(db, env="development")
    rows = db.execute(select(Department.code, CommitmentItem.type).join(
        Department, Department.id == CommitmentItem.department_id)).all()
    assert {"XZSP", "SCJG", "RSJ", "FGW"} <= {code for code, _ in rows}
    assert {str(t) for _, t in rows} == {"approval", "disclosure", "industry", "repair", "certification"}
    assert current_notice(db)[0] == 1
    again = seed_demo(db, env="development")
    assert "commitment_items" not in again.created
    assert db.execute(select(func.count()).select_from(CommitmentTemplate)).scalar_one() == len(rows)


def test_a_json_import_reports_rows_like_the_sheet(client, scjg):
    rows = [{"事项编码": "J-1", "事项名称": "纳税信用承诺", "承诺类型": "主动公示型", "适用主体": "企业", "承诺书样式": TEMPLATE},
            {"code": "J-2", "name": "x", "commitment_type": "disclosure", "subject_kinds": "外星人", "template": TEMPLATE}]
    body = client.post(f"{URL}/import", json={"rows": rows}, headers=scjg).json
    assert (body["created"], body["refused"]) == (1, 1)
    assert body["errors"] == [{"row": 2, "reason": "subject_kinds_invalid", "field": "subject_kinds",
                               "message": "适用主体应为自然人、企业或个体工商户。"}]
    bad = client.post(f"{URL}/import", json={"rows": "nope"}, headers=scjg)
    assert bad.status_code == 422 and bad.json["reason"] == "rows_required"


def test_json_rows_with_missing_or_odd_values_are_refused_per_row(client, scjg):
    rows = [{}, {"code": ["x"], "name": "n"}, {"code": 7, "name": {"a": 1}, "subject_kinds": [1]},
            {"code": "J-9", "name": "n", "type": "disclosure", "subject_kinds": ["firm"], "template": TEMPLATE,
             "term_months": [], "refuse_listed": "也许"}]
    resp = client.post(f"{URL}/import", json={"rows": rows}, headers=scjg)
    assert resp.status_code == 200, resp.json
    assert resp.json["refused"] == 4 and all(e["reason"] and e["message"] for e in resp.json["errors"])


def _rezip(data: bytes, change) -> bytes:
    """``data`` (an XLSX) with each member passed through ``change(name, bytes)`` (None drops it)."""
    import zipfile

    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            member = change(name, src.read(name))
            if member is not None:
                dst.writestr(name, member)
    return out.getvalue()


@pytest.mark.parametrize("change", [
    lambda n, d: b"<workbook" if n == "xl/workbook.xml" else d,
    lambda n, d: b"<worksheet><sheetData><row>" if n.startswith("xl/worksheets/") else d,
    lambda n, d: None if n.startswith("xl/worksheets/") else d,
    lambda n, d: b"<styleSheet" if n == "xl/styles.xml" else d,
    lambda n, d: d.replace(b'r="A1"', b'r="ZZZZZZ1"') if n.startswith("xl/worksheets/") else d,
], ids=["workbook-xml", "sheet-xml", "no-sheet", "styles-xml", "cell-reference"])
def test_a_damaged_sheet_is_refused_with_a_reason_not_a_server_error(client, db, scjg, change):
    resp = upload(client, scjg, _rezip(xlsx([["SCJG-001", "事项"]]), change))
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert resp.json["reason"] == "xlsx_invalid" and resp.json["message"]


def test_a_sheet_that_inflates_to_gigabytes_is_refused_before_it_is_read(client, db, scjg):
    # a few hundred KB on the wire, 300 MB of sheet XML once unzipped (minutes of parsing; shared
    # strings of that size would all be held in memory)
    padding = b" " * (300 * 1024 * 1024)
    data = _rezip(xlsx([["SCJG-001", "事项"]]),
                  lambda n, d: d.replace(b"</worksheet>", padding + b"</worksheet>") if n.endswith("sheet1.xml") else d)
    assert len(data) < 2 * 1024 * 1024
    resp = upload(client, scjg, data)
    assert resp.status_code == 422 and resp.json["reason"] == "xlsx_too_large"

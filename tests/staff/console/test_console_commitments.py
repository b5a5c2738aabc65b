"""Console pages of the commitment catalogue and the integrity notice: the API's services and roles."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from backend.commitments.models import CommitmentItem, CommitmentTemplate, IntegrityNotice
from backend.staff.models import Role
from tests.factories import make_staff, seeded_department
from tests.staff.console.helpers import login, post, text

TEMPLATE = "本单位{主体名称}（统一社会信用代码：{主体代码}）就{承诺事项}郑重承诺：依法诚信经营。{签署日期}"
FORM = {"code": "SCJG-GS-01", "name": "守法诚信经营承诺", "commitment_type": "disclosure",
        "subject_kinds": ["firm", "sole_trader"], "refuse_listed": "1", "term_months": "12", "template": TEMPLATE,
        "active": "1"}


def _items(db):
    db.expire_all()
    return db.execute(select(CommitmentItem).order_by(CommitmentItem.id)).scalars().all()


def test_a_reviewer_adds_and_edits_their_departments_item_with_field_errors_first(client, app, db, auditor):
    scjg = seeded_department(db, "SCJG")
    make_staff(db, Role.DEPT_REVIEWER, scjg, username="scjg.reviewer")
    make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "RSJ"), username="rsj.reviewer")
    db.commit()
    login(client, "scjg.reviewer")
    assert "承诺事项" in text(client.get("/staff/"))  # in the menu
    bad = {**FORM, "template": "本单位{单位名称}承诺。", "term_months": "999", "subject_kinds": []}
    resp = post(client, "/staff/admin/commitment-items", bad, page="/staff/admin/commitment-items/new")
    page = text(resp)
    assert resp.status_code == 422 and 'id="err-' in page
    assert 'value="守法诚信经营承诺"' in page and "本单位{单位名称}承诺。" in page  # what was typed is kept
    assert not _items(db)
    resp = post(client, "/staff/admin/commitment-items", FORM, page="/staff/admin/commitment-items/new")
    assert resp.status_code == 303
    [item] = _items(db)
    assert item.department_id == scjg.id and item.subject_kinds == ["firm", "sole_trader"] and item.term_months == 12
    detail = text(client.get(resp.headers["Location"]))
    assert "已新增：守法诚信经营承诺（承诺书样式第1版）" in detail
    changed = {**FORM, "template": TEMPLATE + "如有违反，自愿接受惩戒。"}
    resp = post(client, "/staff/admin/commitment-items", changed, page="/staff/admin/commitment-items/new")
    assert resp.status_code == 303 and _items(db)[0].template_version == 2
    assert len(db.execute(select(CommitmentTemplate)).scalars().all()) == 2  # the old version kept
    assert "SCJG-GS-01" in text(client.get("/staff/admin/commitment-items"))
    # Another department's reviewer neither sees nor opens it; the auditor reads it without a form.
    other = app.test_client()
    login(other, "rsj.reviewer")
    assert "SCJG-GS-01" not in text(other.get("/staff/admin/commitment-items"))
    assert other.get(f"/staff/admin/commitment-items/{item.id}").status_code == 403
    reader = app.test_client()
    login(reader, "office.auditor")
    shown = reader.get(f"/staff/admin/commitment-items/{item.id}")
    assert shown.status_code == 200 and "<fieldset disabled>" in text(shown) and "保存</button>" not in text(shown)
    assert post(reader, "/staff/admin/commitment-items", FORM).status_code == 403


def _sheet(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["部门代码", "事项编码", "事项名称", "承诺类型", "适用主体", "拒绝失信主体", "承诺期限（月）", "承诺书样式"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_office_imports_a_sheet_and_sees_the_refused_rows(client, db, admin):
    seeded_department(db, "SCJG")
    seeded_department(db, "RSJ")
    db.commit()
    login(client, "office.admin")
    data = _sheet([
        ["SCJG", "SCJG-01", "守法经营承诺", "主动公示型", "企业", "是", 12, TEMPLATE],
        ["RSJ", "RSJ-01", "就业承诺", "信用修复型", "自然人", "否", None, "本人{主体名称}承诺。"],
        ["SCJG", "SCJG-02", "坏行", "不存在的类型", "企业", "是", 12, TEMPLATE],
        ["NOPE", "X-01", "部门不存在", "主动公示型", "企业", "是", 12, TEMPLATE],
    ])

    def send(content, name="清单.xlsx"):
        return post(client, "/staff/admin/commitment-items/import", {"file": (io.BytesIO(content), name)},
                    page="/staff/admin/commitment-items", content_type="multipart/form-data")

    resp = send(data)
    page = text(resp)
    assert resp.status_code == 200 and 'id="import-errors"' in page
    assert '<dd id="import-created">2</dd>' in page and '<dd id="import-refused">2</dd>' in page
    assert "<td class=\"num\">4</td>" in page and "<td class=\"num\">5</td>" in page  # the sheet's row numbers
    assert {i.code for i in _items(db)} == {"SCJG-01", "RSJ-01"}
    again = text(send(data))
    assert '<dd id="import-unchanged">2</dd>' in again and len(_items(db)) == 2  # re-importing changes nothing
    broken = send(b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 422 and "无法读取该文件" in text(broken)
    missing = post(client, "/staff/admin/commitment-items/import", {}, page="/staff/admin/commitment-items",
                   content_type="multipart/form-data")
    assert missing.status_code == 422 and "请选择要导入的 .xlsx 文件" in text(missing)


def test_the_office_publishes_the_integrity_notice_and_others_only_read_it(client, app, db, admin, reviewer):
    db.commit()
    login(client, "office.admin")
    first = text(client.get("/staff/admin/integrity-notice"))
    assert "系统默认文本（尚未发布）" in first and "发布为第1版" in first
    resp = post(client, "/staff/admin/integrity-notice", {"title": "", "body": "守信光荣"},
                page="/staff/admin/integrity-notice")
    assert resp.status_code == 422 and 'id="err-title"' in text(resp) and "守信光荣" in text(resp)
    resp = post(client, "/staff/admin/integrity-notice", {"title": "诚信提示", "body": "守信光荣，失信惩戒。"},
                page="/staff/admin/integrity-notice")
    assert resp.status_code == 303
    assert "已发布诚信提示第1版" in text(client.get("/staff/admin/integrity-notice"))
    assert [n.version for n in db.execute(select(IntegrityNotice)).scalars()] == [1]
    other = app.test_client()
    login(other, "dept.reviewer")
    shown = text(other.get("/staff/admin/integrity-notice"))
    assert "守信光荣，失信惩戒。" in shown and 'id="notice-form"' not in shown
    assert post(other, "/staff/admin/integrity-notice", {"title": "x", "body": "y"}).status_code == 403

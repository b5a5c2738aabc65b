"""Issue 9 item 5: years without a State Council notice get the statutory holidays of
《全国年节及纪念日放假办法》（2024年修订）, derived from the lunar calendar and marked provisional, until
staff enter the year's notice (staff API, CSV or XLSX)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import chinese_calendar
from openpyxl import Workbook
from sqlalchemy import select

from backend.calendar.models import CalendarDay
from backend.calendar.statutory import statutory_holidays
from backend.calendar.workdays import add_working_days
from backend.common.models import AuditEntry
from tests.calendar.test_calendar_api import ERROR_KEYS, admin, reviewer  # noqa: F401 (fixtures)


def test_2027_lunar_dates_match_the_almanac():
    days = dict(statutory_holidays(2027))
    assert [d for d, n in statutory_holidays(2027) if n == "春节"] == [date(2027, 2, d) for d in (5, 6, 7, 8)]
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert days[date(2027, 4, 5)] == "清明节"  # the 清明 solar term of 2027
    assert len(days) == 1 + 4 + 1 + 2 + 1 + 1 + 3  # 13 days, as the 2024 revision gives


def test_derivation_agrees_with_the_2025_and_2026_notices():
    # Every derived day of a year the package knows is a holiday in the State Council's notice.
    for year in (2025, 2026):
        for day, _name in statutory_holidays(year):
            assert chinese_calendar.is_holiday(day), day


def test_years_before_the_2024_revision_are_not_derived():
    assert statutory_holidays(2024) == ()


def test_a_notice_replaces_the_provisional_year_as_json(client, db, admin):  # noqa: F811
    assert add_working_days(db, date(2027, 2, 4), 1) == date(2027, 2, 9)  # derived 春节 02-05 … 02-08
    notice = {"days": [
        {"day": "2027-01-01", "is_workday": False, "name": "元旦"},
        {"day": "2027-02-05", "is_workday": False, "name": "春节"},
        {"day": "2027-02-08", "is_workday": False, "name": "春节"},
        {"day": "2027-02-09", "is_workday": False, "name": "春节"},
        {"day": "2027-02-20", "is_workday": True, "name": "春节调休上班"},  # a Saturday
        {"day": "2027-02-06", "is_workday": False, "name": "春节"},  # a Saturday: no exception needed
    ]}
    resp = client.put("/staff/v1/calendar/2027/notice", json=notice, headers=admin)
    assert resp.status_code == 200, resp.json
    assert resp.json == {"year": 2027, "holidays": 4, "makeup_workdays": 1, "replaced": 0}
    year = client.get("/staff/v1/calendar?year=2027", headers=admin).json
    assert year["provisional"] is False and year["warning"] is None
    assert {e["day"] for e in year["entries"]} == {"2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09",
                                                   "2027-02-20"}
    assert not any(e["provisional"] for e in year["entries"])
    assert add_working_days(db, date(2027, 2, 4), 1) == date(2027, 2, 10)
    # the derived days the notice does not hold are gone: 2027-06-09 is an ordinary Wednesday now
    assert client.get("/staff/v1/calendar/2027-06-09", headers=admin).json["is_workday"] is True
    (row,) = db.execute(select(AuditEntry).where(AuditEntry.action == "calendar.notice")).scalars()
    assert row.target_id == "2027"


def test_a_notice_as_csv_and_as_xlsx(client, db, admin):  # noqa: F811
    csv_text = "日期,类型,名称\n2027-01-01,放假,元旦\n2027-10-04,放假,国庆节\n2027-10-09,上班,国庆节调休上班\n"
    resp = client.put("/staff/v1/calendar/2027/notice", headers=admin, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(csv_text.encode("gb18030")), "2027.csv")})
    assert resp.status_code == 200, resp.json
    assert resp.json == {"year": 2027, "holidays": 2, "makeup_workdays": 1, "replaced": 0}

    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "类型", "名称"])
    sheet.append([date(2027, 1, 1), "放假", "元旦"])
    out = io.BytesIO()
    book.save(out)
    resp = client.put("/staff/v1/calendar/2027/notice", headers=admin, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(out.getvalue()), "2027.xlsx")})
    assert resp.status_code == 200, resp.json
    assert resp.json == {"year": 2027, "holidays": 1, "makeup_workdays": 0, "replaced": 3}
    assert db.execute(select(CalendarDay.day).where(CalendarDay.day >= date(2027, 1, 1))).scalars().all() == [
        date(2027, 1, 1)]


def test_a_bad_notice_is_refused_whole(client, db, admin, reviewer):  # noqa: F811
    notice = {"days": [{"day": "2027-01-01", "is_workday": False, "name": "元旦"},
                       {"day": "2028-01-03", "is_workday": False, "name": "元旦"}]}
    resp = client.put("/staff/v1/calendar/2027/notice", json=notice, headers=admin)
    assert resp.status_code == 422 and set(resp.json) == ERROR_KEYS
    assert resp.json["reason"] == "calendar_notice_invalid" and "row 2" in resp.json["errors"]
    assert db.get(CalendarDay, date(2027, 1, 1)) is None  # nothing half-entered
    for body in ({"days": "x"}, {}):
        assert client.put("/staff/v1/calendar/2027/notice", json=body, headers=admin).status_code == 422
    resp = client.put("/staff/v1/calendar/2027/notice", headers=admin, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"not a workbook"), "2027.xlsx")})
    assert resp.status_code == 422 and resp.json["reason"] == "calendar_notice_invalid"
    assert client.put("/staff/v1/calendar/2027/notice", json=notice, headers=reviewer).status_code == 403


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _put_file(client, hdrs, content: bytes, name: str):
    return client.put("/staff/v1/calendar/2027/notice", headers=hdrs, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(content), name)})


def test_a_notice_file_that_csv_or_openpyxl_cannot_read_is_a_422_not_a_500(client, db, admin):  # noqa: F811
    # A field longer than the csv module's limit raised csv.Error (500).
    resp = _put_file(client, admin, ("日期,类型,名称\n2027-01-01,放假,\"" + "元" * 140_000 + "\"\n").encode(), "2027.csv")
    assert resp.status_code == 422 and resp.json["reason"] == "calendar_notice_invalid"
    # A workbook whose sheet is damaged only fails while its rows are read (outside the old try).
    import zipfile

    src, out = zipfile.ZipFile(io.BytesIO(_xlsx([["日期", "类型", "名称"], [date(2027, 1, 1), "放假", "元旦"]]))), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, b"<worksheet><sheetData><row><c r='A1' t='s'><v>99" if "worksheets/sheet" in info.filename
                         else body)
    resp = _put_file(client, admin, out.getvalue(), "2027.xlsx")
    assert resp.status_code == 422 and resp.json["reason"] == "calendar_notice_invalid"
    assert db.get(CalendarDay, date(2027, 1, 1)) is None


def test_a_notice_sheet_is_read_past_empty_rows_and_refused_when_too_long(client, db, admin):  # noqa: F811
    gap = [[None, None, None]] * 5
    resp = _put_file(client, admin, _xlsx([["日期", "类型", "名称"], [date(2027, 1, 1), "放假", "元旦"], *gap,
                                           [date(2027, 10, 4), "放假", "国庆节"]]), "2027.xlsx")
    assert resp.status_code == 200 and resp.json["holidays"] == 2, resp.json
    days = [[date(2027, 1, 1) + timedelta(days=i), "放假", "假日"] for i in range(365)]
    resp = _put_file(client, admin, _xlsx([["日期", "类型", "名称"], *days, *days[:40]]), "2027.xlsx")
    assert resp.status_code == 422 and "400" in resp.json["message"]

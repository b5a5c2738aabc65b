"""``flask calendar sync|show`` and the seeded calendar (migration 0002)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend.calendar.models import CalendarDay
from backend.calendar.services import package_exceptions, package_years
from backend.common.models import AuditEntry
from backend.platform.db import utcnow


def test_migration_seeded_every_year_the_package_knows(db):
    assert package_years() == (2004, 2026)
    rows = db.execute(select(CalendarDay).where(CalendarDay.source == "chinesecalendar")).scalars().all()
    assert {r.day: (r.is_workday, r.name) for r in rows} == package_exceptions(2004, 2026)
    years = {r.day.year for r in rows}
    assert years == set(range(2004, 2027))


def test_seeded_facts(db):
    def entry(y, m, d):
        return db.get(CalendarDay, date(y, m, d))

    assert (entry(2024, 2, 4).is_workday, entry(2024, 2, 4).name) == (True, "春节调休上班")
    assert (entry(2025, 1, 26).is_workday, entry(2025, 1, 26).name) == (True, "春节调休上班")
    assert (entry(2024, 10, 1).is_workday, entry(2024, 10, 1).name) == (False, "国庆节")
    # 2026-10-01 … 10-07 is 国庆节; only the five weekdays among them are stored.
    national = [entry(2026, 10, d) for d in range(1, 8)]
    assert [e is not None for e in national] == [True, True, False, False, True, True, True]
    assert {e.name for e in national if e} == {"国庆节"}
    assert entry(2026, 5, 1).name == "劳动节" and entry(2026, 4, 6).name == "清明节"
    assert entry(2026, 6, 19).name == "端午节" and entry(2026, 9, 25).name == "中秋节"
    assert entry(2026, 1, 1).name == "元旦" and entry(2026, 1, 4).name == "元旦调休上班"
    assert entry(2015, 9, 3).name == "抗战胜利70周年纪念日"
    assert all(e.source == "chinesecalendar" for e in national if e)
    assert db.execute(select(func.count()).select_from(CalendarDay).where(
        CalendarDay.day >= date(2027, 1, 1))).scalar() == 0


def test_sync_restores_package_rows_and_keeps_staff_rows(app, db):
    db.delete(db.get(CalendarDay, date(2026, 10, 1)))  # lost
    db.get(CalendarDay, date(2026, 10, 2)).name = "被改错"  # altered
    staff = db.get(CalendarDay, date(2026, 10, 5))
    staff.source, staff.is_workday, staff.name = "staff", True, "临时上班"  # a staff decision
    db.add(CalendarDay(day=date(2026, 11, 2), is_workday=False, name="测试", source="chinesecalendar",
                       updated_at=utcnow()))  # not in the package
    db.flush()

    result = app.test_cli_runner().invoke(args=["calendar", "sync", "--from", "2026", "--to", "2026"])
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 1 removed, 1 staff entries kept" in result.output

    db.expire_all()
    assert db.get(CalendarDay, date(2026, 10, 1)).name == "国庆节"
    assert db.get(CalendarDay, date(2026, 10, 2)).name == "国庆节"
    assert (db.get(CalendarDay, date(2026, 10, 5)).is_workday, db.get(CalendarDay, date(2026, 10, 5)).source) == (
        True, "staff")
    assert db.get(CalendarDay, date(2026, 11, 2)) is None
    audit_row = db.execute(select(AuditEntry).where(AuditEntry.action == "calendar.sync")).scalar_one()
    assert audit_row.target_id == "2026-2026" and audit_row.details["added"] == 1


def test_sync_of_the_whole_range_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["calendar", "sync"])
    assert result.exit_code == 0, result.output
    assert "calendar 2004-2026: 0 added, 0 updated, 0 removed, 0 staff entries kept" in result.output


def test_sync_of_years_the_package_does_not_know(app):
    result = app.test_cli_runner().invoke(args=["calendar", "sync", "--from", "2027", "--to", "2030"])
    assert result.exit_code == 0
    assert "knows 2004-2026 only" in result.output


def test_show_a_year(app):
    result = app.test_cli_runner().invoke(args=["calendar", "show", "2024"])
    assert result.exit_code == 0
    assert "2024-02-04 周日 班 春节调休上班 (chinesecalendar)" in result.output
    assert "2024-10-01 周二 休 国庆节 (chinesecalendar)" in result.output
    assert "warning" not in result.output


def test_show_a_year_without_entries(app):
    result = app.test_cli_runner().invoke(args=["calendar", "show", "2027"])
    assert result.exit_code == 0
    # Issue 9 item 5: the year shows its derived statutory holidays, marked provisional.
    assert "warning: 2027年尚未录入国务院放假通知" in result.output and "暂定" in result.output
    assert "2027-01-01 周五 休 元旦 (provisional)" in result.output


def test_show_a_bad_year(app):
    for arg in ("1800", "abc"):
        result = app.test_cli_runner().invoke(args=["calendar", "show", arg])
        assert result.exit_code == 2
        assert "Traceback" not in result.output

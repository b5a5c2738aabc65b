"""Working-day arithmetic on the seeded calendar (chinesecalendar 2004–2026) and beyond it."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from backend.calendar.models import CalendarDay
from backend.calendar.workdays import (
    add_working_days,
    count_working_days,
    is_working_day,
    load_calendar,
    years_without_entries,
)
from backend.platform.db import utcnow

WORKDAYS_LOGGER = "backend.calendar.workdays"


def _staff_day(db, day: date, is_workday: bool, name: str) -> None:
    db.add(CalendarDay(day=day, is_workday=is_workday, name=name, source="staff", updated_at=utcnow()))


def test_seeded_calendar_agrees_with_chinesecalendar_on_every_day(db):
    cal = load_calendar(db, 2004, 2026)
    assert cal.missing_years == []
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_is_working_day_knows_holidays_and_makeup_days(db):
    assert is_working_day(db, date(2024, 2, 4)) is True  # Sunday, 春节调休上班
    assert is_working_day(db, date(2025, 1, 26)) is True  # Sunday, 春节调休上班
    assert is_working_day(db, date(2024, 10, 1)) is False  # 国庆节, a Tuesday
    assert all(not is_working_day(db, date(2026, 10, d)) for d in range(1, 8))  # 国庆节 2026
    assert is_working_day(db, date(2026, 10, 10)) is True  # Saturday, 国庆节调休上班
    assert is_working_day(db, date(2026, 10, 8)) is True  # an ordinary Thursday
    assert is_working_day(db, date(2026, 10, 11)) is False  # an ordinary Sunday


def test_across_spring_festival_2026(db):
    # 2026-02-14 (Sat) is a make-up day; 02-15 … 02-23 is the 春节 holiday.
    assert add_working_days(db, date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(db, date(2026, 2, 13), 2) == date(2026, 2, 24)
    # … and 02-28 (Sat) is the second make-up day.
    assert add_working_days(db, date(2026, 2, 12), 7) == date(2026, 2, 28)


def test_across_national_day_2026(db):
    # 09-25 中秋节, 10-01 … 10-07 国庆节, 10-10 (Sat) make-up day.
    assert add_working_days(db, date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(db, date(2026, 9, 30), 3) == date(2026, 10, 10)
    # The 双公示 deadline of a decision dated 2026-09-24: 7 working days.
    assert add_working_days(db, date(2026, 9, 24), 7) == date(2026, 10, 12)


def test_across_a_weekend_makeup_day(db):
    # 2024-02-04 was a Sunday on which people worked.
    assert add_working_days(db, date(2024, 2, 2), 1) == date(2024, 2, 4)
    # 2025-01-26 likewise; the week after was 春节 (01-28 … 02-04).
    assert add_working_days(db, date(2025, 1, 24), 1) == date(2025, 1, 26)
    assert add_working_days(db, date(2025, 1, 24), 2) == date(2025, 1, 27)
    assert add_working_days(db, date(2025, 1, 24), 3) == date(2025, 2, 5)


def test_crossing_into_2027_without_entries_skips_the_derived_new_year(db, caplog):
    # Issue 9 item 5 (behaviour changed on purpose: weekends alone used to decide, 2027-01-04 came
    # out): 《全国年节及纪念日放假办法》（2024年修订） makes 元旦 (2027-01-01, a Friday) a statutory
    # holiday even before the State Council's 2027 notice exists; it is derived, provisional.
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
        assert add_working_days(db, date(2026, 12, 28), 5) == date(2027, 1, 5)
        assert add_working_days(db, date(2026, 12, 28), 10) == date(2027, 1, 12)
    warnings = [r for r in caplog.records if r.name == WORKDAYS_LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("2027" in w.getMessage() and "provisional" in w.getMessage() for w in warnings)


def test_no_warning_inside_known_years(db, caplog):
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
        add_working_days(db, date(2026, 3, 2), 20)
    assert not [r for r in caplog.records if r.name == WORKDAYS_LOGGER]


def test_staff_entries_for_2027_count(db, caplog):
    _staff_day(db, date(2027, 1, 1), False, "元旦")
    _staff_day(db, date(2027, 1, 9), True, "元旦调休上班")  # a Saturday
    db.flush()
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
        assert add_working_days(db, date(2026, 12, 28), 4) == date(2027, 1, 4)
        assert add_working_days(db, date(2026, 12, 28), 9) == date(2027, 1, 9)
    assert not [r for r in caplog.records if r.name == WORKDAYS_LOGGER]
    assert years_without_entries(db, 2026, 2028) == [2028]


def test_never_raises_for_unknown_years(db):
    # Nobody entered 2030: 2030-01-01 (a Tuesday) is the derived, provisional 元旦 (issue 9 item 5).
    assert is_working_day(db, date(2030, 1, 1)) is False
    assert is_working_day(db, date(2030, 1, 2)) is True
    assert add_working_days(db, date(2030, 6, 1), 250).year == 2031
    # 2027-02-05 is 除夕: 初一–初三 (02-06 … 02-08) are holidays, so the next working day is 02-09.
    assert add_working_days(db, date(2027, 2, 5), 1) == date(2027, 2, 9)
    assert count_working_days(db, date(2030, 1, 1), date(2030, 1, 31)) == 22


def test_zero_days_is_the_start_itself(db):
    assert add_working_days(db, date(2026, 10, 1), 0) == date(2026, 10, 1)  # even on a holiday


def test_negative_days_is_a_programming_error(db):
    with pytest.raises(ValueError):
        add_working_days(db, date(2026, 1, 5), -1)


def test_very_long_staff_holiday_extends_the_window(db):
    day = date(2027, 10, 2)
    while day <= date(2028, 1, 10):
        if day.weekday() < 5:
            _staff_day(db, day, False, "测试长假")
        day += timedelta(days=1)
    db.flush()
    # 2028-01-10 is a Monday; the first working day after the long break is Tuesday the 11th.
    assert add_working_days(db, date(2027, 10, 1), 1) == date(2028, 1, 11)


def test_count_working_days(db):
    # Working days after 2026-09-30 up to 2026-10-12: 10-08, 10-09, 10-10, 10-12.
    assert count_working_days(db, date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert count_working_days(db, date(2026, 10, 12), date(2026, 9, 30)) == 0


def test_add_working_days_reads_the_calendar_in_one_query(db, app):
    statements: list[str] = []

    def _count(conn, cursor, statement, *args):
        if "calendar_days" in statement:
            statements.append(statement)

    engine = app.extensions["database"].engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        add_working_days(db, date(2025, 12, 1), 400)  # spans 2025, 2026 and 2027
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    assert len(statements) == 1


def test_years_without_entries_is_one_query(db, app):
    statements: list[str] = []

    def _count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = app.extensions["database"].engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert years_without_entries(db, 2020, 2031) == list(range(2027, 2032))
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    assert len(statements) == 1


_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2029, 12, 31))
_n = st.integers(min_value=0, max_value=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_days, a=_n, b=_n)
def test_adding_in_two_steps_equals_adding_at_once(db, start, a, b):
    assert add_working_days(db, start, a + b) == add_working_days(db, add_working_days(db, start, a), b)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_days, n=st.integers(min_value=1, max_value=60))
def test_result_is_a_working_day_after_start(db, start, n):
    result = add_working_days(db, start, n)
    assert result > start
    assert is_working_day(db, result)
    assert count_working_days(db, start, result) == n

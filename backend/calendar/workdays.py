"""Working days (工作日): Monday–Friday, minus official holidays, plus make-up working days (调休上班).

The exceptions live in ``calendar_days`` (seeded from ``chinesecalendar`` for 2004–2026, edited by
staff for later years). For a year with no entries at all (2025 or later), the statutory holidays
of 《全国年节及纪念日放假办法》 are derived (:mod:`backend.calendar.statutory`) and count as
*provisional* holidays, with a logged warning naming the year: a deadline in 2027 skips 2027-01-01
and never raises. The first staff entry for the year replaces the derivation.

Cost: :func:`add_working_days` reads the calendar with one query (the exceptions of every year its
window touches, which also tells which years have no entries). Bulk callers (a 10,000-row import)
load a :class:`WorkCalendar` once with :func:`load_calendar` and ask it instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from backend.calendar.models import CalendarDay
from backend.calendar.statutory import provisional_exceptions

log = logging.getLogger(__name__)

# n working days never span more than 2n + 30 calendar days with China's holiday rules; a
# staff-entered calendar could be stranger, so the window grows when it runs out.
_SLACK_DAYS = 30


@dataclass
class WorkCalendar:
    """The exceptions of the years ``first_year``..``last_year``, loaded once; pure arithmetic after."""

    first_year: int
    last_year: int
    exceptions: dict[date, bool] = field(default_factory=dict)
    years_with_entries: set[int] = field(default_factory=set)
    provisional: set[date] = field(default_factory=set)  # derived holidays of years without entries

    @property
    def missing_years(self) -> list[int]:
        """Years of the loaded range that have no entry at all (weekends alone decide there)."""
        return [y for y in range(self.first_year, self.last_year + 1) if y not in self.years_with_entries]

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: date) -> bool:
        override = self.exceptions.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """``n`` working days after ``start``; the result must fall inside the loaded years."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day, left = start, n
        while left:
            day += timedelta(days=1)
            if not self.covers(day):
                raise LookupError(f"{day} is outside the loaded calendar {self.first_year}-{self.last_year}")
            if self.is_working_day(day):
                left -= 1
        return day

    def count_working_days(self, start: date, end: date) -> int:
        """Working days in ``(start, end]`` (0 when ``end <= start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def load_calendar(session: Session, first_year: int, last_year: int) -> WorkCalendar:
    """One query: every exception of the years ``first_year``..``last_year``."""
    if last_year < first_year:
        first_year, last_year = last_year, first_year
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).where(
            CalendarDay.day.between(date(first_year, 1, 1), date(last_year, 12, 31))
        )
    ).all()
    cal = WorkCalendar(first_year, last_year)
    for day, is_workday in rows:
        cal.exceptions[day] = bool(is_workday)
        cal.years_with_entries.add(day.year)
    for year in cal.missing_years:
        for day in provisional_exceptions(year):
            cal.exceptions[day] = False
            cal.provisional.add(day)
    return cal


def years_without_entries(session: Session, first_year: int, last_year: int) -> list[int]:
    """Years in ``first_year``..``last_year`` with no calendar entry at all (one query)."""
    year = extract("year", CalendarDay.day)
    found = session.execute(
        select(year)
        .where(CalendarDay.day.between(date(first_year, 1, 1), date(last_year, 12, 31)))
        .group_by(year)
    ).scalars()
    present = {int(y) for y in found}
    return [y for y in range(first_year, last_year + 1) if y not in present]


def _warn_missing(missing: list[int]) -> None:
    if missing:
        log.warning("working-day calendar has no entries for %s: counting derived statutory holidays "
                    "(provisional, no make-up working days) and weekends", missing)


def is_working_day(session: Session, day: date) -> bool:
    override = session.execute(select(CalendarDay.is_workday).where(CalendarDay.day == day)).scalar()
    if override is not None:
        return bool(override)
    if day in provisional_exceptions(day.year) and years_without_entries(session, day.year, day.year):
        return False
    return day.weekday() < 5


def add_working_days(session: Session, start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted); n ≥ 0.

    Years without any calendar entry count their derived statutory holidays (provisional) and
    weekends, with a logged warning; never raises for an unknown year.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    end = start + timedelta(days=2 * n + _SLACK_DAYS)
    cal = load_calendar(session, start.year, end.year)
    day, left = start, n
    while left:
        day += timedelta(days=1)
        if not cal.covers(day):  # a calendar with unusually long holidays: load further years
            more = load_calendar(session, day.year, (day + timedelta(days=2 * left + _SLACK_DAYS)).year)
            cal.exceptions.update(more.exceptions)
            cal.years_with_entries |= more.years_with_entries
            cal.provisional |= more.provisional
            cal.last_year = more.last_year
        if cal.is_working_day(day):
            left -= 1
    _warn_missing([y for y in range(start.year, day.year + 1) if y not in cal.years_with_entries])
    return day


def count_working_days(session: Session, start: date, end: date) -> int:
    """Working days in ``(start, end]``: e.g. how late a record was published (one query)."""
    if end <= start:
        return 0
    cal = load_calendar(session, start.year, end.year)
    _warn_missing(cal.missing_years)
    return cal.count_working_days(start, end)

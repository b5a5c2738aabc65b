"""Working days (工作日): Monday–Friday, minus official holidays, plus make-up working days (调休).

The exceptions live in ``calendar_days`` (seeded from ``chinesecalendar`` for 2004–2026, edited by
staff for later years). For a year with no entries at all, weekends alone decide, with a logged
warning: a deadline in 2027 computes, it never raises.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.models import CalendarDay

log = logging.getLogger(__name__)


def _exceptions(session: Session, start: date, end: date) -> dict[date, bool]:
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.day.between(start, end))
    ).all()
    return {d: w for d, w in rows}


def _years_without_entries(session: Session, start: date, end: date) -> list[int]:
    years = []
    for year in range(start.year, end.year + 1):
        found = session.execute(
            select(CalendarDay.day).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1)
        ).first()
        if found is None:
            years.append(year)
    return years


def is_working_day(session: Session, day: date) -> bool:
    override = _exceptions(session, day, day).get(day)
    if override is not None:
        return override
    return day.weekday() < 5


def add_working_days(session: Session, start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted); n ≥ 0."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    # Generous window: n working days never span more than 2n + 30 calendar days in China.
    end = start + timedelta(days=2 * n + 30)
    exceptions = _exceptions(session, start, end)
    missing = _years_without_entries(session, start, end)
    if missing:
        log.warning("working-day calendar has no entries for %s: counting weekends only", missing)
    day, left = start, n
    while left:
        day += timedelta(days=1)
        working = exceptions.get(day, day.weekday() < 5)
        if working:
            left -= 1
    return day

"""The district's clock: publicity windows, deadlines and "today" are Asia/Shanghai dates (UTC+8),
not UTC dates — between 00:00 and 08:00 Beijing time the two differ."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()


def chinese_date(d: date) -> str:
    """A date as it is written in a letter or on the card: 2027年1月5日 (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def china_day_start(day: date) -> datetime:
    """00:00 Beijing time on ``day``, an aware datetime to compare with stored (UTC) timestamps."""
    return datetime.combine(day, time.min, tzinfo=CHINA_TZ)


def china_days(column: Any, date_from: date | None = None, date_to: date | None = None) -> list[ColumnElement[bool]]:
    """Conditions keeping the timestamps of ``column`` that fall on China calendar days
    ``date_from``..``date_to`` (both included, either end optional): ``stmt.where(*china_days(…))``.

    The end is "before the next day starts". The first and last dates there are (0001-01-01,
    9999-12-31) leave that end open: their bound in UTC would fall outside the dates Python knows.
    """
    conditions: list[ColumnElement[bool]] = []
    if date_from is not None and date_from > date.min:
        conditions.append(column >= china_day_start(date_from))
    if date_to is not None and date_to < date.max:
        conditions.append(column < china_day_start(date_to + timedelta(days=1)))
    return conditions

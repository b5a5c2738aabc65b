"""The district's clock: publicity windows, deadlines and "today" are Asia/Shanghai dates (UTC+8),
not UTC dates — between 00:00 and 08:00 Beijing time the two differ."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()

"""Statutory holidays (法定节假日) derived for a year the State Council has not yet announced.

《全国年节及纪念日放假办法》 (2024年修订, in force 2025-01-01) gives every citizen 元旦 1 day, 春节 4 days
(除夕 and 正月初一 to 初三), 清明节 1 day (the day of the 清明 solar term), 劳动节 2 days (5-1, 5-2),
端午节 1 day (五月初五), 中秋节 1 day (八月十五) and 国庆节 3 days (10-1 to 10-3). The yearly notice
(国务院办公厅关于某年部分节假日安排的通知) then moves days around them with make-up working days
(调休上班); those cannot be derived, so a derived year is *provisional*: the holidays alone, no
make-up days, until staff enter the notice (any staff entry for the year replaces the whole
derivation, see :mod:`backend.calendar.workdays`).

The lunar dates and the solar term come from ``lunar-python`` (pinned in requirements.txt; its
2027 results — 除夕 2027-02-05, 端午 2027-06-09, 中秋 2027-09-15 — are checked by a test).
Years before 2025 are never derived: the earlier version of the 办法 had other days, and
chinesecalendar seeds 2004–2026 anyway.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

BASIS = "《全国年节及纪念日放假办法》（2024年修订）"
FIRST_DERIVED_YEAR = 2025  # the 2024 revision applies from 2025-01-01
SOURCE_PROVISIONAL = "provisional"


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    s = Lunar.fromYmd(year, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Lunar

    # The solar-term table of the lunar year that starts in ``year`` holds that spring's 清明.
    s = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> tuple[tuple[date, str], ...]:
    """Every statutory holiday of ``year`` (weekends included), in date order; () before 2025."""
    if year < FIRST_DERIVED_YEAR:
        return ()
    chuyi = _lunar_to_solar(year, 1, 1)
    days: list[tuple[date, str]] = [(date(year, 1, 1), "元旦")]
    days += [(chuyi + timedelta(days=i), "春节") for i in range(-1, 3)]  # 除夕 … 初三
    days.append((_qingming(year), "清明节"))
    days += [(date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days.append((_lunar_to_solar(year, 5, 5), "端午节"))
    days.append((_lunar_to_solar(year, 8, 15), "中秋节"))
    days += [(date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    # 除夕 can fall in the previous calendar year in principle: keep the year's own days only.
    return tuple(sorted((d, n) for d, n in days if d.year == year))


def provisional_exceptions(year: int) -> dict[date, str]:
    """The derived holidays that fall on weekdays (the only ones that change a working-day count)."""
    return {d: name for d, name in statutory_holidays(year) if d.weekday() < 5}

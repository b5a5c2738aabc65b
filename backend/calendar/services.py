"""The working-day calendar (节假日安排) as staff see and edit it.

``calendar_days`` holds only the exceptions to Monday–Friday: official holidays on weekdays and
make-up working days (调休上班) on weekends. ``chinesecalendar`` seeds 2004–2026; for later years
the credit office enters the State Council's yearly notice, day by day or as a whole file
(:mod:`backend.calendar.notice`). Until then a year shows its derived statutory holidays, marked
provisional (:mod:`backend.calendar.statutory`). A staff entry is never overwritten by
:func:`sync_from_chinesecalendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.calendar.models import CalendarDay
from backend.calendar.statutory import BASIS as STATUTORY_BASIS
from backend.calendar.statutory import SOURCE_PROVISIONAL, provisional_exceptions
from backend.calendar.workdays import add_working_days, years_without_entries
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.db import utcnow
from backend.platform.errors import NotFound, ValidationFailed

SOURCE_PACKAGE = "chinesecalendar"
SOURCE_STAFF = "staff"
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DAYS = 3650
NO_ENTRIES_WARNING = "该年度尚未录入节假日安排，按周末计算"
PROVISIONAL_WARNING = (f"{{year}}年尚未录入国务院放假通知：暂按{STATUTORY_BASIS}推算法定节假日（暂定，不含调休上班日），"
                       "请录入当年通知后以通知为准")
WEEKDAY_NAMES = "一二三四五六日"

# chinesecalendar's English holiday names in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def weekday_label(day: date) -> str:
    return "周" + WEEKDAY_NAMES[day.weekday()]


def parse_date(raw: object, field_name: str = "date") -> date:
    """``2026-10-01`` → a date; anything else is a 422 with reason ``invalid_date``."""
    text = str(raw or "").strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        msg = "日期格式不正确，请按“2026-10-01”的格式填写一个真实的日期。"
        raise ValidationFailed("invalid_date", msg, errors={field_name: [msg]}) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        msg = f"日期应在{MIN_YEAR}年至{MAX_YEAR}年之间。"
        raise ValidationFailed("invalid_date", msg, errors={field_name: [msg]})
    return value


def check_year(year: int, field_name: str = "year") -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        msg = f"年份应在{MIN_YEAR}至{MAX_YEAR}之间。"
        raise ValidationFailed("invalid_year", msg, errors={field_name: [msg]})
    return year


@dataclass(frozen=True)
class ProvisionalDay:
    """A derived statutory holiday of a year without entries (shown like a stored entry)."""

    day: date
    name: str
    is_workday: bool = False
    source: str = SOURCE_PROVISIONAL
    updated_at: None = None
    provisional: bool = True


@dataclass
class YearCalendar:
    year: int
    entries: list  # CalendarDay rows, or the year's ProvisionalDay list when it has none

    @property
    def has_entries(self) -> bool:
        return any(not getattr(e, "provisional", False) for e in self.entries)

    @property
    def provisional(self) -> bool:
        return bool(self.entries) and not self.has_entries

    @property
    def warning(self) -> str | None:
        if self.has_entries:
            return None
        return PROVISIONAL_WARNING.format(year=self.year) if self.entries else NO_ENTRIES_WARNING

    @property
    def holidays(self) -> int:
        return sum(1 for e in self.entries if not e.is_workday)

    @property
    def makeup_workdays(self) -> int:
        return sum(1 for e in self.entries if e.is_workday)


def get_year(session: Session, year: int) -> YearCalendar:
    """A year's exceptions in date order (an empty year means weekends alone decide)."""
    check_year(year)
    entries = session.execute(
        select(CalendarDay)
        .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)
    ).scalars().all()
    if not entries:
        return YearCalendar(year, [ProvisionalDay(d, n) for d, n in sorted(provisional_exceptions(year).items())])
    return YearCalendar(year, list(entries))


@dataclass
class DayInfo:
    day: date
    is_workday: bool
    name: str | None
    source: str | None
    is_exception: bool
    provisional: bool = False


def describe_day(session: Session, day: date) -> DayInfo:
    entry = session.get(CalendarDay, day)
    if entry is None:
        derived = provisional_exceptions(day.year).get(day)
        if derived and years_without_entries(session, day.year, day.year):
            return DayInfo(day, False, derived, SOURCE_PROVISIONAL, True, provisional=True)
        return DayInfo(day, day.weekday() < 5, None, None, False)
    return DayInfo(day, entry.is_workday, entry.name, entry.source, True)


def set_day(session: Session, actor: Actor, day: date, *, is_workday: bool, name: str) -> CalendarDay:
    """Enter or change one exception (source ``staff``): a holiday or a make-up working day."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        msg = "请填写节假日名称（不超过40个字），例如“国庆节”或“春节调休上班”。"
        raise ValidationFailed("calendar_name_invalid", msg, errors={"name": [msg]})
    entry = session.get(CalendarDay, day)
    before = None if entry is None else {"is_workday": entry.is_workday, "name": entry.name, "source": entry.source}
    if entry is None:
        entry = CalendarDay(day=day)
        session.add(entry)
    entry.is_workday = bool(is_workday)
    entry.name = name
    entry.source = SOURCE_STAFF
    entry.updated_by_id = actor.id if actor.is_staff else None
    entry.updated_at = utcnow()
    session.flush()
    audit(session, actor, "calendar.set", "calendar_day", day.isoformat(),
          is_workday=entry.is_workday, name=name, before=before)
    return entry


def delete_day(session: Session, actor: Actor, day: date) -> None:
    """Remove one exception: the day follows the Monday–Friday rule again."""
    entry = session.get(CalendarDay, day)
    if entry is None:
        raise NotFound("calendar_day_not_found", "该日期没有节假日或调休记录。")
    before = {"is_workday": entry.is_workday, "name": entry.name, "source": entry.source}
    session.delete(entry)
    session.flush()
    audit(session, actor, "calendar.delete", "calendar_day", day.isoformat(), before=before)


@dataclass
class WorkingDaysResult:
    start: date
    days: int
    result: date
    missing_years: list[int] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        if not self.missing_years:
            return None
        years = "、".join(f"{y}年" for y in self.missing_years)
        return f"{years}尚未录入节假日安排，按{STATUTORY_BASIS}推算的法定节假日（暂定）和周末计算"


def compute_working_days(session: Session, start: date, days: int) -> WorkingDaysResult:
    """``days`` working days after ``start``, with the years that had no calendar entries."""
    if not 0 <= days <= MAX_DAYS:
        msg = f"工作日天数应在0至{MAX_DAYS}之间。"
        raise ValidationFailed("invalid_days", msg, errors={"days": [msg]})
    result = add_working_days(session, start, days)
    missing = years_without_entries(session, start.year, result.year) if days else []
    return WorkingDaysResult(start, days, result, missing)


# --- seeding from chinesecalendar -------------------------------------------------------------


def package_years() -> tuple[int, int]:
    """The years ``chinesecalendar`` knows (2004–2026 in 1.11.0)."""
    import chinese_calendar

    years = {d.year for d in chinese_calendar.holidays}
    return min(years), max(years)


def package_exceptions(first_year: int, last_year: int) -> dict[date, tuple[bool, str]]:
    """What ``chinesecalendar`` says, as exceptions: weekday holidays and weekend make-up days."""
    import chinese_calendar

    out: dict[date, tuple[bool, str]] = {}
    for day, label in chinese_calendar.holidays.items():
        if first_year <= day.year <= last_year and day.weekday() < 5:
            out[day] = (False, HOLIDAY_NAMES.get(str(label), "法定节假日"))
    for day, label in chinese_calendar.workdays.items():
        if first_year <= day.year <= last_year and day.weekday() >= 5:
            out[day] = (True, HOLIDAY_NAMES.get(str(label), "节假日") + "调休上班")
    return out


@dataclass
class SyncReport:
    first_year: int
    last_year: int
    added: int = 0
    updated: int = 0
    removed: int = 0
    kept_staff: int = 0


def sync_from_chinesecalendar(
    session: Session, actor: Actor, first_year: int | None = None, last_year: int | None = None
) -> SyncReport:
    """Re-seed ``first_year``..``last_year`` (default: every year the package knows).

    Package rows are added, corrected or removed to match the package; rows entered by staff
    are kept as they are, even where the package disagrees.
    """
    known_first, known_last = package_years()
    first = known_first if first_year is None else max(first_year, known_first)
    last = known_last if last_year is None else min(last_year, known_last)
    report = SyncReport(first, last)
    if first > last:
        return report
    wanted = package_exceptions(first, last)
    existing = {
        e.day: e
        for e in session.execute(
            select(CalendarDay).where(CalendarDay.day.between(date(first, 1, 1), date(last, 12, 31)))
        ).scalars()
    }
    now = utcnow()
    for day, entry in existing.items():
        if entry.source != SOURCE_PACKAGE:
            report.kept_staff += 1
        elif day not in wanted:
            session.delete(entry)
            report.removed += 1
        elif (entry.is_workday, entry.name) != wanted[day]:
            entry.is_workday, entry.name = wanted[day]
            entry.updated_at = now
            report.updated += 1
    for day, (is_workday, name) in wanted.items():
        if day not in existing:
            session.add(CalendarDay(day=day, is_workday=is_workday, name=name, source=SOURCE_PACKAGE,
                                    updated_at=now))
            report.added += 1
    session.flush()
    audit(session, actor, "calendar.sync", "calendar", f"{first}-{last}", added=report.added,
          updated=report.updated, removed=report.removed, kept_staff=report.kept_staff)
    return report


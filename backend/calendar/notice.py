"""Entering a year's State Council holiday notice (国务院办公厅放假通知) as a whole.

A notice replaces everything the calendar held for its year (package rows, earlier staff entries,
and the provisional derivation): staff type it in once, as JSON rows, a CSV or an XLSX sheet with
the columns 日期, 类型 (放假 / 上班), 名称. The whole file is checked before anything is written;
one bad row refuses the file with every bad row named, so nothing is half-entered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from backend.calendar.models import CalendarDay
from backend.calendar.services import SOURCE_STAFF, check_year, parse_date
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.spreadsheets import blank, xlsx_rows
from backend.platform.db import utcnow
from backend.platform.errors import ValidationFailed

MAX_ROWS = 400
MAX_BYTES = 1_000_000
HEADERS = {"日期": "day", "day": "day", "date": "day", "类型": "type", "type": "type", "is_workday": "type",
           "名称": "name", "name": "name"}
_HOLIDAY = {"放假", "休", "休息", "holiday", "false", "0"}
_WORKDAY = {"上班", "班", "调休上班", "workday", "true", "1"}


@dataclass
class NoticeReport:
    year: int
    holidays: int
    makeup_workdays: int
    replaced: int  # rows the year held before


def _fail(message: str, errors: dict | None = None) -> ValidationFailed:
    return ValidationFailed("calendar_notice_invalid", message, errors=errors or {"file": [message]})


def read_notice_file(filename: str, content: bytes) -> list[dict]:
    """Rows of a CSV (UTF-8 or GBK) or XLSX file as dicts with ``day``, ``type``, ``name``."""
    if len(content) > MAX_BYTES:
        raise _fail("文件过大，一年的放假通知不应超过1MB。")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        raw_rows = _csv_rows(content)
    else:
        raise _fail("请上传 .csv 或 .xlsx 文件（列：日期、类型、名称）。")
    rows = list(raw_rows)
    if not rows:
        raise _fail("文件是空的。")
    header = [HEADERS.get(str(h or "").strip().lower(), HEADERS.get(str(h or "").strip())) for h in rows[0]]
    if {"day", "type", "name"} - set(header):
        raise _fail("文件第一行应为表头：日期、类型、名称。")
    out = []
    for values in rows[1:]:
        if not any(str(v or "").strip() for v in values):
            continue
        out.append({k: v for k, v in zip(header, values, strict=False) if k})
    return out


def read_pasted_rows(text: str) -> list[dict]:
    """Rows typed or pasted as a table (from Excel: tab-separated; else commas), header line optional:
    without one the columns are 日期, 类型, 名称. Same dicts as :func:`read_notice_file`."""
    if len(text.encode()) > MAX_BYTES:
        raise _fail("粘贴的内容过长，一年的放假通知不应超过1MB。")
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        raise _fail("请粘贴放假通知的表格（日期、类型、名称）。", {"paste": ["请粘贴至少一行。"]})
    if "\t" in text:
        cells = [line.split("\t") for line in lines]
    else:
        cells = [next(csv.reader([line.replace("，", ",")])) for line in lines]
    first = [HEADERS.get(str(c).strip().lower(), HEADERS.get(str(c).strip())) for c in cells[0]]
    if {"day", "type", "name"} <= set(first):
        header, body = first, cells[1:]
    else:
        header, body = ["day", "type", "name"], cells
    return [{k: v.strip() for k, v in zip(header, values, strict=False) if k} for values in body]


def rows_as_text(rows: Iterable[Mapping]) -> str:
    """Rows as a tab-separated table with its header, for a form that gives the input back to fix."""
    out = ["日期\t类型\t名称"]
    for row in rows:
        day = row.get("day")
        day = day.date() if isinstance(day, datetime) else day
        kind = row.get("type", row.get("is_workday"))
        if isinstance(kind, bool):
            kind = "上班" if kind else "放假"
        out.append("\t".join("" if v is None else str(v).strip() for v in (day, kind, row.get("name"))))
    return "\n".join(out)


def _csv_rows(content: bytes) -> Iterable[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise _fail("无法识别文件编码，请另存为 UTF-8 编码的 CSV。")
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if blank(row):
                continue
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:  # the header and one row too many: import_year_notice refuses it
                break
    except csv.Error:  # a field longer than csv's limit, a stray quote at the end …
        raise _fail("文件不是有效的 CSV 表格，请在表格软件中另存为 CSV 后重新上传。") from None
    return rows


def _xlsx_rows(content: bytes) -> Iterable[list]:
    # The header and one row more than a notice may hold: import_year_notice then says it is too long.
    rows = xlsx_rows(content, max_rows=MAX_ROWS + 2, invalid=_fail("无法读取该 Excel 文件，请确认是 .xlsx 格式。"))
    return [list(values) for _, values in rows]


def _day(value: object, row: int, errors: dict) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value or "").strip().replace("/", "-"), f"row {row}")
    except ValidationFailed:
        errors[f"row {row}"] = ["日期应写作“2027-01-01”。"]
        return None


def import_year_notice(session: Session, actor: Actor, year: int, rows: list[Mapping]) -> NoticeReport:
    """Replace ``year``'s calendar with the notice's rows (source ``staff``), audited.

    Rows (``day``, ``type`` 放假/上班 or ``is_workday``, ``name``) are the notice's exceptions: holidays
    that fall on weekdays and make-up working days on weekends; a holiday row on a weekend is kept
    out (the weekend rule already covers it). Refusal: ``calendar_notice_invalid`` with the bad rows.
    """
    check_year(year)
    if not rows:
        raise _fail("通知中没有任何日期。", {"days": ["请至少填写一天。"]})
    if len(rows) > MAX_ROWS:
        raise _fail(f"一年的通知不应超过{MAX_ROWS}行。")
    errors: dict[str, list[str]] = {}
    wanted: dict[date, tuple[bool, str]] = {}
    for i, row in enumerate(rows, start=1):
        day = _day(row.get("day"), i, errors)
        raw_type = row.get("is_workday", row.get("type"))
        kind = str(raw_type).strip().lower() if raw_type is not None else ""
        name = str(row.get("name") or "").strip()
        if day is not None and day.year != year:
            errors[f"row {i}"] = [f"日期不在{year}年内。"]
        if kind not in _HOLIDAY | _WORKDAY:
            errors.setdefault(f"row {i}", []).append("类型应为“放假”或“上班”。")
        if not name or len(name) > 40:
            errors.setdefault(f"row {i}", []).append("请填写名称（不超过40个字）。")
        if day is not None and day in wanted:
            errors.setdefault(f"row {i}", []).append("该日期重复出现。")
        if f"row {i}" not in errors and day is not None:
            wanted[day] = (kind in _WORKDAY, name)
    if errors:
        raise _fail("放假通知中有填写不正确的行，整份通知未录入，请改正后重新提交。", errors)
    exceptions = {d: v for d, v in wanted.items() if (d.weekday() < 5) != v[0]}
    first, last = date(year, 1, 1), date(year, 12, 31)
    replaced = session.execute(delete(CalendarDay).where(CalendarDay.day.between(first, last))).rowcount or 0
    now = utcnow()
    for day, (is_workday, name) in sorted(exceptions.items()):
        session.add(CalendarDay(day=day, is_workday=is_workday, name=name, source=SOURCE_STAFF,
                                updated_by_id=actor.id if actor.is_staff else None, updated_at=now))
    session.flush()
    report = NoticeReport(year, sum(1 for v in exceptions.values() if not v[0]),
                          sum(1 for v in exceptions.values() if v[0]), replaced)
    audit(session, actor, "calendar.notice", "calendar", str(year), holidays=report.holidays,
          makeup_workdays=report.makeup_workdays, replaced=replaced)
    return report

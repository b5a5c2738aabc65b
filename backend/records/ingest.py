"""Batch submission of credit records (批量报送): up to ``BATCH_MAX_ROWS`` rows, JSON or CSV.

Every row is checked on its own; refused rows are reported as ``{row, reason, message, field}``
(1-based) and the good rows are stored. It is built for 10,000 rows: subject codes are resolved in
one bulk lookup, working days come from one calendar read, windows are computed in Python, and
rows are written with chunked executemany INSERTs — no ORM object or flush per row, and one audit
row for the whole batch.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.calendar.workdays import load_calendar
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, DomainError, ValidationFailed
from backend.records.models import CreditRecord, RecordBatch
from backend.records.services import PUBLISH_WORKING_DAYS, current_keys, record_values
from backend.records.validation import (
    FIELD_ALIASES,
    CleanRecord,
    Departments,
    RowChecker,
    canonical_row,
    ensure_can_submit,
    local_today,
    row_error,
)
from backend.staff.models import Department
from backend.subjects.changes import subject_changed
from backend.subjects.services import find_subject_ids

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 10_000
INSERT_CHUNK = 1000
MAX_CSV_BYTES = 20 * 1024 * 1024
REQUIRED_COLUMNS = {
    "subject_code": "主体代码", "kind": "信息类别", "decision_no": "决定文书号", "decision_date": "决定日期",
    "title": "标题",
}


def publish_deadlines(session: Session, days: Iterable[date]) -> dict[date, date]:
    """``add_working_days(day, 7)`` for every distinct decision date, from one calendar read."""
    distinct = set(days)
    if not distinct:
        return {}
    last = max(distinct) + timedelta(days=2 * PUBLISH_WORKING_DAYS + 30)
    calendar = load_calendar(session, min(distinct).year, last.year)
    if calendar.missing_years:
        log.warning("working-day calendar has no entries for %s: counting weekends only", calendar.missing_years)
    return {d: calendar.add_working_days(d, PUBLISH_WORKING_DAYS) for d in distinct}


def _blank(row: Mapping[str, Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values())


def batch_too_large(max_rows: int) -> DomainError:
    return DomainError("batch_too_large", f"一次最多提交{max_rows}条，请分批提交。", status=413)


def submit_batch(
    session: Session,
    actor: Actor,
    rows: list[Mapping[str, Any]],
    *,
    department_code: str | None = None,
    source: str = "api",
    max_rows: int = DEFAULT_MAX_ROWS,
    today: date | None = None,
) -> RecordBatch:
    """Check and store a batch; returns the :class:`RecordBatch` with counts and row errors.

    Whole-batch refusals (nothing stored): ``batch_too_large`` (413), ``batch_empty``,
    ``department_*`` for the batch's department. Row refusals are in ``batch.errors``.
    """
    ensure_can_submit(actor)
    if not isinstance(rows, list):
        raise ValidationFailed("rows_invalid", "rows 应为列表。", errors={"rows": ["rows 应为列表。"]})
    if len(rows) > max_rows:
        raise batch_too_large(max_rows)
    today = today or local_today()
    departments = Departments(session)
    batch_dept = departments.resolve(actor, (department_code or "").strip() or None)
    row_actor = replace(actor, department_id=batch_dept.id)

    canon: list[dict[str, Any] | None] = [canonical_row(r) if isinstance(r, Mapping) else None for r in rows]
    codes = [str(r.get("subject_code") or "") for r in canon if r]
    checker = RowChecker(row_actor, today, find_subject_ids(session, codes), departments)

    errors: list[dict[str, Any]] = []
    checked: list[tuple[int, CleanRecord]] = []
    first_row: dict[tuple[int, str, int], int] = {}
    total = 0
    for number, row in enumerate(canon, start=1):
        if row is not None and _blank(row):
            continue  # empty spreadsheet lines: skipped, but row numbers still match the sheet
        total += 1
        if row is None:
            errors.append({"row": number, "reason": "row_invalid", "message": "该行格式不正确。", "field": None})
            continue
        try:
            clean = checker.check(row)
        except DomainError as err:
            errors.append(row_error(number, err))
            continue
        if clean.key in first_row:
            errors.append({"row": number, "reason": "duplicate_in_batch", "field": "decision_no",
                           "message": f"与本批第{first_row[clean.key]}行是同一决定文书和主体，已忽略。"})
            continue
        first_row[clean.key] = number
        checked.append((number, clean))
    if total == 0:
        raise ValidationFailed("batch_empty", "没有可提交的数据。", errors={"rows": ["没有可提交的数据。"]})

    existing = current_keys(session, set(first_row))
    kept: list[CleanRecord] = []
    for number, clean in checked:
        if clean.key in existing:
            errors.append({"row": number, "reason": "duplicate_record", "field": "decision_no",
                           "message": "该部门已提交过这份决定文书对该主体的信用信息；如需修改，请使用“更正”。"})
        else:
            kept.append(clean)
    errors.sort(key=lambda e: e["row"])

    batch = RecordBatch(
        department_id=batch_dept.id, staff_id=actor.id if actor.is_staff else None, source=source,
        total_rows=total, accepted_rows=len(kept), rejected_rows=len(errors), errors=errors,
    )
    session.add(batch)
    session.flush()
    _insert_records(session, actor, batch, kept, today)
    audit(session, actor, "record.batch_submit", "record_batch", batch.id, source=source,
          department_id=batch_dept.id, total=total, accepted=len(kept), rejected=len(errors))
    subject_changed(session, {c.subject_id for c in kept}, "record.batch")
    return batch


def _insert_records(session: Session, actor: Actor, batch: RecordBatch, kept: list[CleanRecord], today: date) -> None:
    if not kept:
        return
    deadlines = publish_deadlines(session, (c.decision_date for c in kept))
    now = utcnow()
    staff_id = actor.id if actor.is_staff else None
    values = []
    department = session.get(Department, batch.department_id)  # its domain selects the rule family
    for clean in kept:
        v = record_values(clean, deadlines[clean.decision_date], today, now=now, department=department)
        v["batch_id"] = batch.id
        v["created_by_id"] = staff_id
        values.append(v)
    try:
        with session.begin_nested():
            for i in range(0, len(values), INSERT_CHUNK):
                # render_nulls: keep None values in every row, so all rows share one parameter set
                # and go out as multi-row INSERTs (otherwise each NULL pattern is its own statement).
                session.execute(insert(CreditRecord).execution_options(render_nulls=True),
                                values[i : i + INSERT_CHUNK])
    except IntegrityError:
        # Only a concurrent submission of the same decision gets here (duplicates were checked).
        raise Conflict("batch_conflict", "有记录刚被其他人提交，请刷新后重新提交本批。") from None


# --- CSV -------------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 as saved by Excel on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationFailed("csv_encoding", "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV 文件。",
                               errors={"file": ["文件编码无法识别。"]}) from None


def read_csv(data: bytes, max_rows: int = DEFAULT_MAX_ROWS) -> list[dict[str, str]]:
    """The data rows of a CSV file as dicts keyed by field name; every value stays text.

    Headers may be Chinese (主体代码, 信息类别 …) or English (subject_code, kind …).
    """
    if len(data) > MAX_CSV_BYTES:
        raise DomainError("file_too_large", "文件太大，请分批提交。", status=413)
    if b"\x00" in data:  # a spreadsheet (.xlsx) or other binary file, not CSV text
        raise ValidationFailed("csv_invalid", "文件不是 CSV 表格，请在表格软件中“另存为 CSV”后上传。",
                               errors={"file": ["文件不是 CSV 表格。"]})
    text = decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ValidationFailed("csv_empty", "文件是空的。", errors={"file": ["文件是空的。"]})
        names = [FIELD_ALIASES.get(h.strip().lstrip("\ufeff"), h.strip().lower()) for h in header]
        missing = [label for field, label in REQUIRED_COLUMNS.items() if field not in names]
        if missing:
            message = f"文件缺少以下列：{'、'.join(missing)}。"
            raise ValidationFailed("csv_header_missing", message, errors={"file": [message]})
        rows: list[dict[str, str]] = []
        for values in reader:
            if len(rows) >= max_rows:
                if any(v.strip() for v in values):
                    raise batch_too_large(max_rows)
                continue
            rows.append({n: v for n, v in zip(names, values, strict=False)})
    except csv.Error:
        raise ValidationFailed("csv_invalid", "文件不是有效的 CSV 表格。", errors={"file": ["文件格式有误。"]}) from None
    # Trailing empty lines are not rows.
    while rows and not any((v or "").strip() for v in rows[-1].values()):
        rows.pop()
    return rows

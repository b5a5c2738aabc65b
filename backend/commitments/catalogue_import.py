"""Import a department's 信用承诺事项清单 from an XLSX sheet (openpyxl, read-only mode).

Row 1 holds the headers (Chinese, any order; see :data:`HEADERS`). Each row is saved on its own:
a bad row is refused with its row number, reason and message, the good rows are kept, and
importing the same sheet again changes nothing (every row comes back ``unchanged``). Cells are read
as values, never as formulas' text; a 统一社会信用代码 Excel turned into a number is read back as
text, and refused (``uscc_digits_lost``) when Excel dropped digits.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from sqlalchemy.orm import Session

from backend.commitments.catalogue import save_item
from backend.common.actor import Actor
from backend.platform.errors import DomainError, ValidationFailed

MAX_ROWS = 2000
# What the sheet may unzip to at most (its members' declared sizes; zipfile stops a member at its
# declared size). openpyxl keeps the shared strings in memory: a zip bomb must stop before reading.
MAX_INFLATED = 64 * 1024 * 1024
# What a damaged file raises from zipfile, zlib, the XML parsers (ParseError and lxml's errors are
# SyntaxErrors) and openpyxl itself (a missing sheet, a bad cell reference).
_DAMAGED = (zipfile.BadZipFile, zlib.error, KeyError, IndexError, ValueError, TypeError, AttributeError, OSError,
            EOFError, SyntaxError)
HEADERS = {
    "部门代码": "department_code",
    "事项编码": "code",
    "事项名称": "name",
    "承诺类型": "commitment_type",
    "适用主体": "subject_kinds",
    "拒绝失信主体": "refuse_listed",
    "承诺期限（月）": "term_months",
    "承诺期限(月)": "term_months",
    "承诺书样式": "template",
    "实施机关统一社会信用代码": "agency_uscc",
}
REQUIRED = ("code", "name", "commitment_type", "subject_kinds", "template")


def _sheet_error(reason: str, message: str) -> ValidationFailed:
    return ValidationFailed(reason, message, errors={"file": [message]})


def _invalid() -> ValidationFailed:
    return _sheet_error("xlsx_invalid", "无法读取该文件，请上传 Excel 2007 及以上版本的 .xlsx 文件。")


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """``(row number, {field: value})`` for every non-empty row of the first sheet; a damaged file
    is ``xlsx_invalid``, one that unzips to more than ``MAX_INFLATED`` ``xlsx_too_large``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except _DAMAGED:
        raise _invalid() from None
    if inflated > MAX_INFLATED:
        raise _sheet_error("xlsx_too_large", "文件解压后过大，请删除多余的工作表和内容后重新导入。")
    try:
        return _rows(data)
    except _DAMAGED:
        raise _invalid() from None


def _rows(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        columns = {i: HEADERS.get(str(h).strip()) for i, h in enumerate(header) if h is not None}
        missing = [label for label, f in HEADERS.items() if f in REQUIRED and f not in columns.values()]
        if missing:
            raise _sheet_error("xlsx_headers_missing", f"表头缺少：{'、'.join(dict.fromkeys(missing))}。")
        out: list[tuple[int, dict]] = []
        for number, values in enumerate(rows, start=2):
            row = {f: values[i] for i, f in columns.items() if f and i < len(values)}
            if all(v is None or str(v).strip() == "" for v in row.values()):
                continue
            if len(out) >= MAX_ROWS:
                raise _sheet_error("xlsx_too_many_rows", f"一次最多导入{MAX_ROWS}个事项，请分批导入。")
            out.append((number, row))
        return out
    finally:
        book.close()


_TEXT_FIELDS = frozenset({"department_code", "code", "name", "template", "commitment_type"})


def _cell(field: str, value):
    if isinstance(value, str):
        return value.strip()
    if value is None or field not in _TEXT_FIELDS | {"subject_kinds"}:
        return value
    if isinstance(value, list | dict):
        return value if field == "subject_kinds" and isinstance(value, list) else {"invalid": value}
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return str(value)  # a date or number a spreadsheet made of a text cell


def json_rows(payload) -> list[tuple[int, dict]]:
    """Rows of a JSON import ``{"rows": [{…}]}``, keyed by field name or by the sheet's Chinese header;
    numbered from 1."""
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationFailed("rows_required", "请提交 {\"rows\": [...]}，每行一个承诺事项。",
                               errors={"rows": ["应为对象数组。"]})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed("rows_too_many", f"一次最多导入{MAX_ROWS}个事项，请分批导入。")
    fields = set(HEADERS.values())
    return [(n, {HEADERS.get(k, k): v for k, v in r.items() if HEADERS.get(k, k) in fields})
            for n, r in enumerate(rows, start=1)]


def import_catalogue(session: Session, actor: Actor, data: bytes, *, department_code: str | None = None) -> dict:
    """Import an XLSX sheet (see :func:`import_rows`)."""
    return import_rows(session, actor, read_rows(data), department_code=department_code)


def import_rows(session: Session, actor: Actor, rows: list[tuple[int, dict]], *,
                department_code: str | None = None) -> dict:
    """Save every row; report ``created`` / ``updated`` / ``unchanged`` counts and refused rows."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict] = []
    fields = sorted(set(HEADERS.values()))
    for number, raw in rows:
        # Every field present (a missing one is refused by save_item with its reason); text fields as text.
        row = {f: _cell(f, raw.get(f)) for f in fields}
        row["department_code"] = row["department_code"] or department_code
        try:
            if any(isinstance(v, dict) for v in row.values()) or (
                    isinstance(row["subject_kinds"], list) and not all(isinstance(k, str) for k in row["subject_kinds"])):
                raise ValidationFailed("row_value_invalid", "该行有无法识别的值（应为文字或数字）。")
            with session.begin_nested():
                saved = save_item(session, actor, **row)
        except DomainError as err:
            field = next(iter(err.errors or {}), None)
            errors.append({"row": number, "reason": err.reason, "message": err.message, "field": field})
            continue
        counts[saved.outcome] += 1
    return {**counts, "refused": len(errors), "errors": errors}

"""Spreadsheets of the console: reading an uploaded XLSX batch, writing the refused rows as XLSX.

An uploaded workbook's first sheet is turned into CSV text and read by the records context's own
CSV reader (``backend.records.ingest.read_csv``), so headers, required columns and row limits are
one rule for both formats. Cells are read as text the way a person typed them: a code Excel stored
as a number loses no digits, a date cell becomes ``2026-05-01``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from backend.platform.errors import ValidationFailed
from backend.records.ingest import MAX_CSV_BYTES, read_csv
from backend.records.validation import FIELD_ALIASES

XLSX_MAGIC = b"PK\x03\x04"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# field name → the first Chinese column name a department would use for it.
FIELD_LABELS: dict[str, str] = {}
for _alias, _field in FIELD_ALIASES.items():
    FIELD_LABELS.setdefault(_field, _alias)


def is_xlsx(filename: str, data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _invalid() -> ValidationFailed:
    msg = "文件不是有效的 Excel（.xlsx）表格，请在表格软件中另存为 .xlsx 或 CSV 后上传。"
    return ValidationFailed("xlsx_invalid", msg, errors={"file": [msg]})


def read_xlsx(data: bytes, max_rows: int) -> list[dict[str, str]]:
    """The data rows of the first sheet, as :func:`backend.records.ingest.read_csv` returns them."""
    if not data.startswith(XLSX_MAGIC):
        raise _invalid()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise _invalid() from None
    except Exception:  # openpyxl raises its own types for unreadable parts
        raise _invalid() from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _invalid()
        out = io.StringIO()
        writer = csv.writer(out)
        for n, row in enumerate(sheet.iter_rows(values_only=True)):
            if n > max_rows:  # header + max_rows read: one more row and read_csv says it is too large
                writer.writerow(["x"])
                break
            writer.writerow([_cell_text(v) for v in row])
            if out.tell() > MAX_CSV_BYTES:
                break
    finally:
        book.close()
    text = out.getvalue().replace("\x00", "")
    return read_csv(text.encode("utf-8"), max_rows)


def refused_rows_xlsx(errors: list[dict]) -> bytes:
    """The refused rows of a batch: 数据行号, 表格行号, 字段, 原因, 原因代码."""
    book = Workbook()
    sheet = book.active
    sheet.title = "退回的行"
    sheet.append(["数据行号", "表格行号", "字段", "原因", "原因代码"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for e in errors:
        row = e.get("row")
        field = e.get("field")
        sheet.append([row, row + 1 if isinstance(row, int) else None,
                      FIELD_LABELS.get(field, field or "（整行）"), e.get("message"), e.get("reason")])
    for col, width in zip("ABCDE", (10, 10, 14, 60, 22), strict=True):
        sheet.column_dimensions[col].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()

"""Reading an uploaded .xlsx sheet safely — one way for every import (calendar notices, record
batches, the commitment catalogue).

An upload is small when zipped but may unzip to gigabytes, declare a million rows, or be damaged
in a part openpyxl only reads while iterating. :func:`xlsx_rows` checks the unzipped size first,
stops after ``max_rows`` rows, and turns every way a damaged file fails into one refusal.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from backend.platform.errors import ValidationFailed

MAX_INFLATED = 64 * 1024 * 1024
# What a damaged file raises from zipfile, zlib, the XML parsers (ParseError and lxml's errors are
# SyntaxErrors) and openpyxl itself (a missing sheet, a bad cell reference).
DAMAGED = (zipfile.BadZipFile, zlib.error, KeyError, IndexError, ValueError, TypeError, AttributeError, OSError,
           EOFError, SyntaxError)


def sheet_error(reason: str, message: str) -> ValidationFailed:
    return ValidationFailed(reason, message, errors={"file": [message]})


def blank(values: Any) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def xlsx_rows(data: bytes, *, max_rows: int, max_inflated: int = MAX_INFLATED,
              invalid: ValidationFailed | None = None) -> list[tuple[int, tuple[Any, ...]]]:
    """``(row number, cell values)`` of the first sheet's non-empty rows, header included, at most
    ``max_rows`` of them: the caller asks for one more than it accepts and refuses a file that has it.
    Empty rows are skipped (not counted), so a gap in the sheet does not cut its end off.

    Refusals: ``invalid`` (default 422 ``xlsx_invalid``) for a file that is not a readable workbook,
    422 ``xlsx_too_large`` for one that unzips to more than ``max_inflated`` bytes.
    """
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs in the environment

    refused = invalid or sheet_error("xlsx_invalid", "无法读取该文件，请上传 Excel 2007 及以上版本的 .xlsx 文件。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except DAMAGED:
        raise refused from None
    if inflated > max_inflated:
        raise sheet_error("xlsx_too_large", "文件解压后过大，请删除多余的工作表和内容后重新上传。")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DAMAGED:
        raise refused from None
    except Exception:  # openpyxl's own exception types for unreadable parts
        raise refused from None
    try:
        if not book.worksheets:
            raise refused
        rows: list[tuple[int, tuple[Any, ...]]] = []
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if blank(row):
                continue
            rows.append((number, tuple(row)))
            if len(rows) >= max_rows:
                break
        return rows
    except DAMAGED:
        raise refused from None
    finally:
        book.close()

"""Plain Chinese for the field messages marshmallow and webargs write in English.

Validation errors list, per field, what is wrong (``{"page": ["Not a valid integer."]}``). Our own
validators already speak Chinese; the library's built-in ones (required, type, range, length,
choice, unknown field) do not. :func:`translate_errors` rewrites those, whatever schema or parser
produced them, when the error body is built (backend/http/errors.py) — one place, every endpoint.
Anything it does not recognise (already Chinese, or a new library message) passes through as is.
"""

from __future__ import annotations

import re
from typing import Any

_EXACT = {
    # marshmallow fields
    "Missing data for required field.": "必填。",
    "Field may not be null.": "不能为空。",
    "Invalid value.": "填写的值无效。",
    "Invalid type.": "类型不正确。",
    "Not a valid string.": "应为文字。",
    "Not a valid utf-8 string.": "含有无法识别的字符。",
    "Not a valid number.": "应为数字。",
    "Number too large.": "数字太大。",
    "Not a valid integer.": "应为整数。",
    "Special numeric values (nan or infinity) are not permitted.": "应为有效的数字。",
    "Not a valid boolean.": "应为是或否（true/false）。",
    "Not a valid list.": "应为列表。",
    "Not a valid tuple.": "应为列表。",
    "Not a valid mapping type.": "应为对象。",
    "Not a valid date.": "日期格式不正确，请按“2026-10-01”的格式填写一个真实的日期。",
    "Not a valid datetime.": "时间格式不正确，请按“2026-10-01T08:30:00+08:00”的格式填写。",
    "Not a valid time.": "时间格式不正确，请按“08:30:00”的格式填写。",
    "Not a valid period of time.": "时长格式不正确。",
    "Not a valid UUID.": "编号格式不正确。",
    "Not a valid URL.": "网址格式不正确。",
    "Not a valid email address.": "电子邮箱格式不正确。",
    "Not a valid IP address.": "IP 地址格式不正确。",
    # marshmallow schema
    "Invalid input type.": "提交的内容应为一个对象（JSON 的 {…}）。",
    "Unknown field.": "不认识这一项，请删除。",
    # marshmallow validators without arguments
    "String does not match expected pattern.": "格式不正确。",
    "Invalid input.": "填写的值无效。",
    # webargs
    "Invalid JSON body.": "不是有效的 JSON（请使用 UTF-8 编码）。",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$"), r"应在 \1 到 \2 之间。"),
    (re.compile(r"^Must be greater than (.+) and less than (.+)\.$"), r"应大于 \1 且小于 \2。"),
    (re.compile(r"^Must be greater than or equal to (.+)\.$"), r"不能小于 \1。"),
    (re.compile(r"^Must be greater than (.+)\.$"), r"应大于 \1。"),
    (re.compile(r"^Must be less than or equal to (.+)\.$"), r"不能大于 \1。"),
    (re.compile(r"^Must be less than (.+)\.$"), r"应小于 \1。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"至少 \1 个字。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"最多 \1 个字。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度应在 \1 到 \2 个字之间。"),
    (re.compile(r"^Length must be (\d+)\.$"), r"长度应为 \1 个字。"),
    (re.compile(r"^Must be one of: (.*)\.$", re.S), r"只能是以下之一：\1。"),
    (re.compile(r"^One or more of the choices you made was not in: (.*)\.$", re.S), r"只能从以下选择：\1。"),
    (re.compile(r"^Must be equal to (.*)\.$", re.S), r"应为 \1。"),
    (re.compile(r"^Not a valid (?:naive |aware )?(date|datetime|time)\.$"), r"日期或时间格式不正确。"),
    (re.compile(r'^".*" cannot be formatted as an? .+\.$', re.S), r"格式不正确。"),
]


def translate(message: str) -> str:
    hit = _EXACT.get(message)
    if hit is not None:
        return hit
    if message.isascii():  # ours are Chinese: only try the patterns on the library's English
        for pattern, replacement in _PATTERNS:
            if pattern.match(message):
                return pattern.sub(replacement, message)
    return message


def translate_errors(errors: Any, _depth: int = 0) -> Any:
    """``errors`` with every English library message put in Chinese (keys and structure unchanged)."""
    if _depth > 50:  # error trees mirror the input, which the request guard already keeps shallow
        return errors
    if isinstance(errors, str):
        return translate(errors)
    if isinstance(errors, dict):
        return {k: translate_errors(v, _depth + 1) for k, v in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(v, _depth + 1) for v in errors]
    return errors

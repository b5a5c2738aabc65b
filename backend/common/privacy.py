"""Keep personal data out of what we say and write down: messages, stored errors, logs.

Refusals name the field and what is wrong; they do not quote what was typed, since a column
shifted in a spreadsheet puts a resident's ID number where a category was expected. As a backstop,
:func:`mask_personal` blanks anything that looks like an ID number (居民身份证号码, 18 or 15 digits)
or a mobile phone number wherever text leaves the service: the JSON error body
(backend/http/errors.py), the row errors a batch stores (backend/records/validation.py) and every
log record (:func:`install_log_masking`).

What "looks like": a run of 11 or more digits, optionally ending in X (ID numbers, mobile numbers,
also with the +86 prefix, bank card numbers), and a mobile number written in groups
(139-1234-5678, 139 1234 5678). Full-width digits count as digits. A firm's 统一社会信用代码 has
letters in it and is public information: it is left alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "*"
_PERSONAL = re.compile(
    r"(?<!\d)(?:\d{11,}[XxＸｘ]?|1[3-9]\d[-\s]\d{4}[-\s]\d{4})(?!\d)"
)
# The request line werkzeug's development server logs: "GET /path?query HTTP/1.1" (maybe coloured).
_QUERY = re.compile(r"\?[^\s\x1b\"]*")


def looks_personal(text: str) -> bool:
    """True if ``text`` holds something that looks like an ID number or a phone number."""
    return bool(_PERSONAL.search(text))


def mask_personal(text: str) -> str:
    """``text`` with every ID-number-like or phone-like run replaced by asterisks of the same length."""
    if not isinstance(text, str) or not _PERSONAL.search(text):
        return text
    return _PERSONAL.sub(lambda m: MASK * len(m.group()), text)


def mask_tree(value: Any, _depth: int = 0) -> Any:
    """:func:`mask_personal` over every string (keys too) of a JSON-like structure."""
    if _depth > 50:  # error trees mirror the input, which the request guard keeps shallow
        return value
    if isinstance(value, str):
        return mask_personal(value)
    if isinstance(value, dict):
        return {mask_personal(k) if isinstance(k, str) else k: mask_tree(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_tree(v, _depth + 1) for v in value]
    return value


def strip_query(request_line: str) -> str:
    """A logged request line without its query string (a staff search may carry an ID number)."""
    return _QUERY.sub("", request_line)


_installed = False


def install_log_masking() -> None:
    """Mask personal data in every log record this process creates, whatever handler writes it.

    A log record factory (not a handler filter) so that gunicorn's, werkzeug's and pytest's handlers
    all see the masked text. The message is formatted once here; a traceback is formatted here too
    (only for records that carry one) so exception messages are masked as well. Werkzeug's request
    line loses its query string, as gunicorn's access log format (``%(U)s``) already does.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _mask_record(record)
        except Exception:  # a log line must never break the code that logs it
            pass
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _mask_record(record: logging.LogRecord) -> None:
    if record.name == "werkzeug" and isinstance(record.args, tuple) and record.args \
            and isinstance(record.args[0], str) and " HTTP/" in record.args[0]:
        record.args = (strip_query(record.args[0]), *record.args[1:])
    message = record.getMessage()
    masked = mask_personal(message)
    if masked is not message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_personal(logging.Formatter().formatException(record.exc_info))

"""Free text typed by staff (reasons, decisions, commitment texts): one way to clean and refuse it."""

from __future__ import annotations

from typing import Literal, overload

from backend.platform.errors import ValidationFailed

TEXT_MAX = 1000


def field_error(field: str, reason: str, message: str) -> ValidationFailed:
    """A 422 about one field, with the message both as the answer and under ``errors[field]``."""
    return ValidationFailed(reason, message, errors={field: [message]})


@overload
def clean_text(value: str | None, field: str, label: str, required: Literal[True], max_len: int = ...) -> str: ...
@overload
def clean_text(value: str | None, field: str, label: str, required: bool, max_len: int = ...) -> str | None: ...
def clean_text(value: str | None, field: str, label: str, required: bool, max_len: int = TEXT_MAX) -> str | None:
    """Stripped text, or None when empty and optional. Refused: NUL (PostgreSQL cannot store it),
    empty when ``required`` (``<field>_required``), longer than ``max_len`` (``<field>_too_long``)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise field_error(field, f"{field}_invalid", f"{label}含有无法保存的字符。")
    if required and not text:
        raise field_error(field, f"{field}_required", f"请填写{label}。")
    if len(text) > max_len:
        raise field_error(field, f"{field}_too_long", f"{label}不能超过{max_len}个字。")
    return text or None

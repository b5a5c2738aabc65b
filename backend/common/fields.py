"""Marshmallow fields shared by the staff and mini-program schemas."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate


def _printable(value: str) -> None:
    """NUL and other control characters (except line breaks and tabs) are refused, not stored."""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValidationError("不能包含控制字符。")


def Text(*, max_len: int | None = None, **kwargs) -> fields.String:  # noqa: N802 (a field factory)
    """A string without control characters; free-text lengths are checked by the service."""
    validators = [_printable] + ([validate.Length(max=max_len)] if max_len else [])
    if "validate" in kwargs:
        validators.append(kwargs.pop("validate"))
    return fields.String(validate=validators, **kwargs)

"""Marshmallow fields shared by the staff and mini-program schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


def _printable(value: str) -> None:
    """NUL and other control characters (except line breaks and tabs) are refused, not stored."""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValidationError("不能包含控制字符。")


def Text(*, max_len: int | None = None, **kwargs: Any) -> fields.String:  # noqa: N802 (a field factory)
    """A string without control characters; free-text lengths are checked by the service."""
    validators = [_printable] + ([validate.Length(max=max_len)] if max_len else [])
    if "validate" in kwargs:
        validators.append(kwargs.pop("validate"))
    return fields.String(validate=validators, **kwargs)


class PageQuery(Schema):
    """``?page=&per_page=`` of a search: page from 1, at most 100 rows a page."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageOut(Schema):
    """Where a page of results is; subclasses add ``items``."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()

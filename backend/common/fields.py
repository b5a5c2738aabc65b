"""Marshmallow fields shared by the staff and mini-program schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from backend.common.clock import china_today

# Dates a list entry or a commitment can plausibly carry. Not before 1949-10-01: no decision of a
# government of the People's Republic, hence no 认定 or 承诺 it records, is older. Not beyond today
# + 30 years: the longest terms these records run (严重失信 lists, long commitments) are years, not
# decades; year 9999 is a typo, and a far-off date would keep an entry listed for ever.
EARLIEST_DATE = date(1949, 10, 1)
LATEST_YEARS_AHEAD = 30


def latest_date(today: date | None = None) -> date:
    today = today or china_today()
    try:
        return today.replace(year=today.year + LATEST_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + LATEST_YEARS_AHEAD, day=28)


def _plausible_date(value: date) -> None:
    latest = latest_date()
    if value < EARLIEST_DATE or value > latest:
        raise ValidationError(f"日期应在1949年10月1日到{latest.year}年{latest.month}月{latest.day}日之间。")


def BoundedDate(**kwargs: Any) -> fields.Date:  # noqa: N802 (a field factory)
    """A date between 1949-10-01 and today + 30 years (see ``EARLIEST_DATE``), for dates that are stored."""
    return fields.Date(validate=_plausible_date, **kwargs)


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

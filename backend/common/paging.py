"""One page of a staff search: the rows, the total, and where the page is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int


def paginate(session: Session, stmt: Select, *order_by, page: int, per_page: int) -> Page:
    """Count ``stmt``'s rows, then fetch page ``page`` (from 1) in ``order_by`` order."""
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    items = session.execute(stmt.order_by(*order_by).offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return Page(list(items), total, page, per_page)

"""Every list of the APIs is paged one way: ``?page=&per_page=`` in, ``{items, total, page, per_page}`` out.

A service builds a ``Select`` and returns :func:`paginate`'s :class:`Page`; the view swaps the rows for
what it shows (``page.with_items(present(page.items))``) and returns the page; its response schema is
a :class:`backend.common.fields.PageOut` with ``items`` nested. No envelope is built by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, how many rows the whole list has, and where the page is."""

    items: list[T]
    total: int
    page: int
    per_page: int

    def with_items(self, items: Sequence[U]) -> Page[U]:
        """The same page with its rows replaced by what a view shows of them."""
        return Page(list(items), self.total, self.page, self.per_page)

    @classmethod
    def empty(cls, *, page: int, per_page: int) -> Page[Any]:
        """A page of a list known to be empty (no query needed)."""
        return Page([], 0, page, per_page)


def paginate(session: Session, stmt: Select[Any], *order_by: Any, page: int, per_page: int) -> Page[Any]:
    """Count ``stmt``'s rows, then fetch page ``page`` (from 1) of its first column in ``order_by`` order."""
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    items = session.execute(stmt.order_by(*order_by).offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return Page(list(items), total, page, per_page)

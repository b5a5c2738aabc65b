"""One counter for every factory, so codes, names and ID numbers made by different modules never collide."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)


def next_n() -> int:
    """The next number of the test session (1, 2, 3 …)."""
    return next(_counter)

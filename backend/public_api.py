"""Public API (``/public/v1``): no login, public information only."""

from __future__ import annotations


def blueprints():
    return []

"""Staff JSON API (``/staff/v1``): blueprints of each context's staff endpoints."""

from __future__ import annotations


def blueprints():
    return []

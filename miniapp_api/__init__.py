"""The mini-program's HTTP API (``/miniapp/v1``): thin views over the domain services."""

from __future__ import annotations


def blueprints():
    return []

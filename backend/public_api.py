"""Public API (``/public/v1``): no login, public information only."""

from __future__ import annotations


def blueprints():
    from backend.cards.public_api import blp as cards_blp
    from backend.lists.public_api import blp as lists_blp
    from backend.subjects.public_api import blp as firms_blp

    return [
        firms_blp,
        cards_blp,
        lists_blp,
    ]

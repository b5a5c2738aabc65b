"""Login sessions for tests: a token is only good with a live server-side session (backend.sessions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session


def login_session(app: Any, key: tuple, obj: Any, **owner: Any) -> int:
    """The test's login session of ``obj``, started once per app like one device that logged in:
    asking again gives the same session (ended or not), and no extra SQL."""
    from backend.sessions.services import start_session

    known = app.extensions.setdefault("test_login_sessions", {})
    if key not in known:
        known[key] = start_session(object_session(obj), ip="127.0.0.1", user_agent=None, ttl_seconds=3600,
                                   **owner).id
    return known[key]

"""Extension objects, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from backend.http.ratelimit import RateLimits
from backend.platform.db import make_engine, make_sessionmaker

# Per-app storage (see backend/http/ratelimit.py); the login, write and public limits apply to every app.
# If Redis stops answering, each node keeps limiting in its own memory instead of failing requests.
limiter = RateLimits()


class Database:
    """Owns the engine and the session factory; hands each request one session."""

    def __init__(self) -> None:
        self.engine = None
        self.sessionmaker: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        self.sessionmaker = make_sessionmaker(self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def _close(exc):
            sess = g.pop("db_session", None)
            if sess is not None:
                if exc is not None:
                    sess.rollback()
                sess.close()

    def new_session(self) -> Session:
        assert self.sessionmaker is not None, "Database.init_app was not called"
        return self.sessionmaker()


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["database"]


def get_session() -> Session:
    """The request's (or CLI command's) session. Views pass it to services."""
    sess = g.get("db_session")
    if sess is None:
        sess = get_database().new_session()
        g.db_session = sess
    return sess

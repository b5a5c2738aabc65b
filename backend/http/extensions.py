"""Extension objects, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from flask import Flask, current_app, g, has_app_context
from sqlalchemy.orm import Session, sessionmaker

from backend.http.ratelimit import RateLimits
from backend.platform.db import make_engine, make_sessionmaker
from backend.platform.jobs import JobQueue, JobRuntime
from backend.platform.store import KeyValue

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


def get_store(app: Flask | None = None) -> KeyValue:
    """The app's key-value store (``backend/platform/store.py``), made by ``create_app``."""
    store: KeyValue = (app or current_app).extensions["kv"]
    return store


def get_queue(app: Flask | None = None) -> JobQueue:
    """The app's job queue: RQ when ``REDIS_URL`` is set and ``JOBS_INLINE`` is off, else inline."""
    return get_job_runtime(app).queue


def get_job_runtime(app: Flask | None = None) -> JobRuntime:
    runtime: JobRuntime = (app or current_app).extensions["job_runtime"]
    return runtime


def current_job_runtime() -> JobRuntime | None:
    """The job runtime of the app in context (handed to ``backend.platform.jobs.configure``)."""
    return get_job_runtime() if has_app_context() else None

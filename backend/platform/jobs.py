"""Background jobs: RQ on Redis when configured, inline after commit in the embedded default.

A job is a function ``fn(session, *ids)`` decorated with :func:`job`. It opens its own session,
commits once, and rolls back on any exception. It is enqueued with :func:`enqueue`, which waits for
the caller's transaction to commit: a rolled-back change never starts a job.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from backend.platform.db import after_commit

log = logging.getLogger(__name__)

QUEUE_NAME = "credit"
_REGISTRY: dict[str, Callable[..., Any]] = {}
_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from backend.app import create_app

        _worker_app = create_app()
    return _worker_app


def job(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn(session, *args)`` as a job; the wrapper runs it with its own session."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        app = _app()
        with app.app_context():
            jlog = logging.getLogger(f"jobs.{fn.__name__}")
            sess = app.extensions["database"].new_session()
            try:
                result = fn(sess, *args)
                sess.commit()
                return result
            except Exception:
                sess.rollback()
                jlog.exception("job %s%r failed", name, args)
                raise
            finally:
                sess.close()

    run.job_name = name  # type: ignore[attr-defined]
    _REGISTRY[name] = run
    return run


class InlineQueue:
    """The embedded default's queue: runs the job now, in this process (failures are logged)."""

    name = "inline"

    def enqueue(self, fn: Callable[..., Any], *args: Any, job_timeout: int = 600) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("inline job failed")


class RQQueue:
    """The RQ queue ``credit`` on Redis; workers (``flask jobs worker``) run what is put on it."""

    def __init__(self, redis_url: str, name: str = QUEUE_NAME) -> None:
        from redis import Redis
        from rq import Queue

        self.name = name
        self.rq = Queue(name, connection=Redis.from_url(redis_url))

    @property
    def connection(self):
        return self.rq.connection

    def enqueue(self, fn: Callable[..., Any], *args: Any, job_timeout: int = 600) -> None:
        self.rq.enqueue(fn, *args, job_timeout=job_timeout)


JobQueue = InlineQueue | RQQueue


def get_queue(app: Flask | None = None) -> JobQueue:
    """The app's queue: RQ when ``REDIS_URL`` is set and ``JOBS_INLINE`` is off, else inline."""
    app = app or _app()
    q = app.extensions.get("job_queue")
    if q is None:
        inline = app.config.get("JOBS_INLINE", True) or not app.config.get("REDIS_URL")
        q = InlineQueue() if inline else RQQueue(app.config["REDIS_URL"])
        app.extensions["job_queue"] = q
    return q


def worker_app() -> Flask:
    """The app a job runs in: the current one, or one made from the environment (an RQ worker)."""
    return _app()


def enqueue(session: Session, fn: Callable[..., Any], *args: Any, queue: JobQueue | None = None) -> None:
    """Put job ``fn(*args)`` on ``queue`` (default: the app's) once ``session`` commits.

    A rolled-back change never starts a job. Callers that were handed a queue pass it.
    """
    target = queue or get_queue()
    after_commit(session, lambda: target.enqueue(fn, *args))


def dispatch(app: Flask, fn: Callable[..., Any], *args: Any) -> None:
    """Run job ``fn(*args)`` now on the app's queue (inline, or RQ on Redis).

    For code that already runs after a commit (the after-commit listener); everything else uses
    :func:`enqueue`, which waits for the commit.
    """
    get_queue(app).enqueue(fn, *args)

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


def _queue(app: Flask):
    from redis import Redis
    from rq import Queue

    q = app.extensions.get("rq_queue")
    if q is None:
        q = Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))
        app.extensions["rq_queue"] = q
    return q


def enqueue(session: Session, fn: Callable[..., Any], *args: Any) -> None:
    """Run job ``fn(*args)`` once ``session`` commits (inline or on the RQ queue)."""
    app = _app()
    after_commit(session, lambda: dispatch(app, fn, *args))


def dispatch(app: Flask, fn: Callable[..., Any], *args: Any) -> None:
    """Run job ``fn(*args)`` now: inline (no Redis, or ``JOBS_INLINE``) or on the RQ queue.

    For code that already runs after a commit (an after-commit listener); everything else uses
    :func:`enqueue`, which waits for the commit.
    """
    if app.config.get("JOBS_INLINE", True) or not app.config.get("REDIS_URL"):
        try:
            fn(*args)
        except Exception:
            log.exception("inline job failed")
    else:
        _queue(app).enqueue(fn, *args, job_timeout=600)

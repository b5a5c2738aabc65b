"""Background jobs: RQ on Redis when configured, inline after commit in the embedded default.

A job is a function ``fn(session, *ids)`` decorated with :func:`job`. It opens its own session,
commits once, and rolls back on any exception. It is enqueued with :func:`enqueue`, which waits for
the caller's transaction to commit: a rolled-back change never starts a job.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from backend.platform.db import after_commit

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

QUEUE_NAME = "credit"
_REGISTRY: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class JobRuntime:
    """What a job runs with: a session factory, the queue further jobs go on, and the app's settings
    (``backend.platform.config``; a job reads ``runtime().settings`` rather than ``os.environ``)."""

    new_session: Callable[[], Session]
    queue: JobQueue
    settings: Mapping[str, Any] = field(default_factory=dict)


def _no_current() -> JobRuntime | None:
    return None


_default: JobRuntime | None = None  # the runtime configured last in this process (an RQ worker's app)
_current: Callable[[], JobRuntime | None] = _no_current  # the web layer's "the app in context", if any


def configure(runtime: JobRuntime, *, current: Callable[[], JobRuntime | None] | None = None) -> None:
    """Register the runtime jobs run with (``create_app`` calls this; so does ``backend/worker.py``).

    ``current`` resolves the runtime of the app in context, so a process with several apps (tests)
    runs a job with the app that enqueued it; ``runtime`` is the fallback outside any app context.
    """
    global _default, _current
    _default = runtime
    if current is not None:
        _current = current


def runtime() -> JobRuntime:
    """The runtime of the app in context, else the one configured last."""
    rt = _current() or _default
    if rt is None:
        raise RuntimeError(
            "jobs are not configured: run workers with `flask jobs worker` or `rq worker -c backend.worker`"
        )
    return rt


def job(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn(session, *args)`` as a job; the wrapper runs it with its own session."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        jlog = logging.getLogger(f"jobs.{fn.__name__}")
        sess = runtime().new_session()
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
    def connection(self) -> Redis:
        connection: Redis = self.rq.connection
        return connection

    def enqueue(self, fn: Callable[..., Any], *args: Any, job_timeout: int = 600) -> None:
        self.rq.enqueue(fn, *args, job_timeout=job_timeout)


JobQueue = InlineQueue | RQQueue


def make_queue(redis_url: str | None, inline: bool = True) -> JobQueue:
    """RQ on ``redis_url`` unless ``inline`` (or no Redis), else the inline queue."""
    return InlineQueue() if inline or not redis_url else RQQueue(redis_url)


def enqueue(session: Session, fn: Callable[..., Any], *args: Any, queue: JobQueue | None = None) -> None:
    """Put job ``fn(*args)`` on ``queue`` (default: the runtime's) once ``session`` commits.

    A rolled-back change never starts a job. Callers that were handed a queue pass it.
    """
    target = queue or runtime().queue
    after_commit(session, lambda: target.enqueue(fn, *args))

"""``flask jobs …``: RQ worker, the periodic scheduler, inline runs for single-machine cron, status."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from backend.platform.db import utcnow
from backend.platform.jobs import InlineQueue, JobQueue, RQQueue
from backend.platform.schedule import PERIODIC_JOBS
from backend.platform.scheduler import Scheduler, job_status, local


def _queue() -> JobQueue:
    # The app's queue, made by create_app (this group may not import backend.http: the platform's contract).
    queue: JobQueue = current_app.extensions["job_runtime"].queue
    return queue


def _new_session() -> Session:
    session: Session = current_app.extensions["database"].new_session()
    return session


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker on the 'credit' queue (needs REDIS_URL)."""
    from rq import Worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inline in the embedded default")
    q = _queue()
    if not isinstance(q, RQQueue):  # JOBS_INLINE=1 with Redis: a worker still serves the queue
        q = RQQueue(current_app.config["REDIS_URL"])
    Worker([q.rq], connection=q.connection, name=None).work(burst=burst)


@jobs_cli.command("scheduler")
@click.option("--tick", default=30, show_default=True, help="Seconds between checks.")
@with_appcontext
def scheduler(tick: int) -> None:
    """Enqueue periodic jobs at their wall-clock slots (safe to run on several nodes)."""
    sched = Scheduler(_new_session, _queue())
    click.echo(f"scheduler: {len(PERIODIC_JOBS)} periodic jobs on queue {sched.queue.name}, times in Asia/Shanghai")
    while True:
        for name in sched.tick():
            click.echo(f"enqueued {name}")
        time.sleep(tick)


@jobs_cli.command("run-due")
@with_appcontext
def run_due() -> None:
    """Run the periodic jobs whose slot has come, inline (cron on a single machine, no Redis needed).

    Each slot runs once however often this is called, and a failed run is retried after its backoff
    on a later call: run it from cron every few minutes (``*/5 * * * *``).
    """
    for name in Scheduler(_new_session, InlineQueue()).tick():
        click.echo(f"ran {name}")


@jobs_cli.command("status")
@with_appcontext
def status() -> None:
    """Per periodic job: schedule, next run, last run, last success, last error (Asia/Shanghai)."""
    sess = _new_session()
    try:
        rows = job_status(sess, utcnow())
    finally:
        sess.close()
    for s in rows:
        last = f"{local(s.last.claimed_at)} {s.last.state} (attempt {s.last.attempts})" if s.last else "never"
        error = f"{local(s.last_error.finished_at or s.last_error.claimed_at)} {s.last_error.error}" if s.last_error else "none"
        click.echo(f"{s.job.name}\n  schedule:     {s.job.cron} (Asia/Shanghai)\n  next run:     {local(s.next_run)}\n"
                   f"  last run:     {last}\n  last success: {local(s.last_success)}\n  last error:   {error}")

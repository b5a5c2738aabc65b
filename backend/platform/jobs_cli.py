"""``flask jobs …``: RQ worker, the periodic scheduler, and inline runs for single-machine cron."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.platform.jobs import QUEUE_NAME, _queue
from backend.platform.schedule import PERIODIC_JOBS, due_jobs, resolve
from backend.platform.store import get_store


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
    q = _queue(current_app)
    Worker([q], connection=q.connection, name=None).work(burst=burst)


@jobs_cli.command("scheduler")
@click.option("--tick", default=30, show_default=True, help="Seconds between checks.")
@with_appcontext
def scheduler(tick: int) -> None:
    """Enqueue periodic jobs when due (safe to run on several nodes)."""
    store = get_store()
    click.echo(f"scheduler: {len(PERIODIC_JOBS)} periodic jobs, queue {QUEUE_NAME}")
    while True:
        for job in due_jobs(store):
            _queue(current_app).enqueue(resolve(job.target), job_timeout=3600)
            click.echo(f"enqueued {job.name}")
        time.sleep(tick)


@jobs_cli.command("run-due")
@with_appcontext
def run_due() -> None:
    """Run periodic jobs inline now (cron on a single machine without Redis).

    Without Redis there is no shared record of the last run, so every job runs each time: run it
    from cron once a day, shortly after midnight Beijing time (``5 16 * * *`` on a UTC clock). With
    Redis, each job runs at most once per period however often this is called.
    """
    for job in due_jobs(get_store()):
        resolve(job.target)()
        click.echo(f"ran {job.name}")

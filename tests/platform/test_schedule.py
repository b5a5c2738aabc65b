"""Periodic jobs on the wall clock: slots in Asia/Shanghai, once per slot, retried with backoff, visible.

Time is passed to ``Scheduler.tick`` by hand; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.platform.jobs import InlineQueue, RQQueue, job
from backend.platform.schedule import BACKOFF, PERIODIC_JOBS, SCHEDULE_TZ, Periodic, resolve
from backend.platform.scheduler import FAILED, SUCCEEDED, PeriodicRun, Scheduler, job_status

NIGHTLY = next(j for j in PERIODIC_JOBS if j.name == "credit-recompute")


def _at(local: str) -> datetime:
    """A wall-clock time in Asia/Shanghai, e.g. ``"2026-12-02 02:30:10"``, as an aware datetime."""
    return datetime.fromisoformat(local).replace(tzinfo=SCHEDULE_TZ).astimezone(UTC)


# A periodic job of the tests' own that fails as many times as asked.
_FAILURES: list[str] = []
_RUNS: list[str] = []


@job
def flaky(session) -> None:
    _RUNS.append("run")
    if _FAILURES:
        raise RuntimeError(_FAILURES.pop())


FLAKY = Periodic("flaky", "tests.platform.test_schedule:flaky", "30 2 * * *")


def _scheduler(app, queue=None, jobs=(FLAKY,)) -> Scheduler:
    return Scheduler(app.extensions["database"].new_session, queue or InlineQueue(), jobs)


def test_every_periodic_job_resolves_to_a_registered_job():
    assert PERIODIC_JOBS, "the nightly jobs (expiry, recompute, purge) must be scheduled"
    for periodic in PERIODIC_JOBS:
        fn = resolve(periodic.target)
        assert getattr(fn, "job_name", None), f"{periodic.target} is not decorated with backend.platform.jobs.job"


@pytest.mark.parametrize("now", ["2026-12-01 09:15", "2026-12-01 23:59", "2026-12-02 02:31", "2026-06-30 14:00"])
def test_the_nightly_rescoring_next_runs_at_night_in_shanghai(now):
    nxt = NIGHTLY.next_slot(_at(now)).astimezone(SCHEDULE_TZ)
    assert (nxt.hour, nxt.minute) == (2, 30)
    assert timedelta(0) < nxt - _at(now).astimezone(SCHEDULE_TZ) <= timedelta(days=1)
    # Whatever the server's zone: 02:30 in Huai'an is 18:30 UTC the day before.
    assert nxt.astimezone(UTC).hour == 18


def test_expiry_runs_just_after_midnight_and_the_purge_hourly():
    by_name = {j.name: j for j in PERIODIC_JOBS}
    for name in ("records-expire", "lists-expire"):
        nxt = by_name[name].next_slot(_at("2026-12-01 15:00")).astimezone(SCHEDULE_TZ)
        assert nxt.date().isoformat() == "2026-12-02" and nxt.hour == 0
    purge = by_name["idempotency-purge"]
    assert purge.next_slot(_at("2026-12-01 15:00")) - _at("2026-12-01 15:00") <= timedelta(hours=1)


def test_a_failed_run_is_retried_after_its_backoff_not_the_next_day(app, db):
    _FAILURES[:] = ["upstream timed out"]
    _RUNS.clear()
    sched = _scheduler(app)
    t0 = _at("2026-12-02 02:30:05")
    assert sched.tick(t0) == ["flaky"]  # runs, fails
    run = db.scalars(select(PeriodicRun).where(PeriodicRun.job == "flaky")).one()
    assert (run.state, run.attempts) == (FAILED, 1) and "upstream timed out" in run.error
    assert sched.tick(t0 + timedelta(seconds=30)) == []  # still inside the first backoff
    assert sched.tick(t0 + timedelta(seconds=BACKOFF[0])) == ["flaky"]  # retried, succeeds
    db.expire_all()
    run = db.get(PeriodicRun, ("flaky", run.slot))
    assert (run.state, run.attempts, run.error) == (SUCCEEDED, 2, None)
    assert sched.tick(t0 + timedelta(hours=3)) == []  # done for tonight
    assert _RUNS == ["run", "run"]
    assert sched.tick(t0 + timedelta(days=1)) == ["flaky"]  # the next night


def test_retries_are_bounded_then_wait_for_the_next_slot(app, db):
    _FAILURES[:] = ["down"] * 10
    _RUNS.clear()
    sched = _scheduler(app)
    t = _at("2026-12-02 02:30:00")
    assert sched.tick(t) == ["flaky"]
    for wait in BACKOFF:
        assert sched.tick(t + timedelta(seconds=wait - 1)) == []
        t += timedelta(seconds=wait)
        assert sched.tick(t) == ["flaky"]
    assert sched.tick(t + timedelta(hours=5)) == []
    assert len(_RUNS) == 1 + len(BACKOFF)
    _FAILURES.clear()


def test_status_shows_next_run_last_run_last_success_and_last_error(app, db):
    _FAILURES[:] = ["boom 320803196708220831"]
    sched = _scheduler(app)
    t0 = _at("2026-12-02 02:30:00")
    sched.tick(t0)
    [status] = job_status(db, t0 + timedelta(seconds=10), jobs=(FLAKY,))
    assert status.next_run == t0 + timedelta(seconds=BACKOFF[0])  # the retry, not tomorrow
    assert status.last.state == FAILED and status.last_success is None
    assert "boom" in status.last_error.error and "320803196708220831" not in status.last_error.error
    sched.tick(t0 + timedelta(seconds=BACKOFF[0]))
    db.expire_all()
    [status] = job_status(db, t0 + timedelta(minutes=2), jobs=(FLAKY,))
    assert status.last.state == SUCCEEDED and status.last_success is not None
    assert status.next_run.astimezone(SCHEDULE_TZ).strftime("%m-%d %H:%M") == "12-03 02:30"


def test_a_slot_missed_by_more_than_its_catch_up_waits_for_the_next_night(app, db):
    late = Periodic("late", FLAKY.target, "30 2 * * *", catch_up=timedelta(hours=3))
    _FAILURES.clear()
    sched = _scheduler(app, jobs=(late,))
    assert sched.tick(_at("2026-12-02 14:00")) == []  # a scheduler started at 2 pm: not now
    assert sched.tick(_at("2026-12-03 02:30")) == ["late"]


def test_two_schedulers_at_the_same_slot_enqueue_once(app, db, redis_url):
    """Any number of scheduler processes: each (job, slot) is claimed by one of them."""
    _FAILURES.clear()
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        queue_a, queue_b = RQQueue(redis_url), RQQueue(redis_url)
    else:
        queue_a = queue_b = InlineQueue()
    a = _scheduler(app, queue_a, PERIODIC_JOBS)
    b = _scheduler(app, queue_b, PERIODIC_JOBS)
    t = _at("2026-12-02 02:30:20")
    first, second = a.tick(t), b.tick(t)
    assert sorted(first) == sorted(j.name for j in PERIODIC_JOBS) and second == []
    assert a.tick(t + timedelta(seconds=5)) == [] and b.tick(t + timedelta(seconds=5)) == []
    if redis_url:
        assert queue_a.rq.count == len(PERIODIC_JOBS)  # on the one shared RQ queue, once each
    rows = db.scalars(select(PeriodicRun).where(PeriodicRun.job.in_([j.name for j in PERIODIC_JOBS]))).all()
    assert len(rows) == len(PERIODIC_JOBS) and {r.attempts for r in rows} == {1}


def test_run_due_runs_the_due_jobs_inline_once_per_slot(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    # The expiry jobs and the purge catch up whenever run-due first runs; the rescoring only at night.
    for name in ("records-expire", "lists-expire", "idempotency-purge"):
        assert f"ran {name}" in result.output
    again = runner.invoke(args=["jobs", "run-due"])
    assert again.exit_code == 0 and "ran records-expire" not in again.output


def test_jobs_status_prints_every_job(app):
    app.test_cli_runner().invoke(args=["jobs", "run-due"])
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    for periodic in PERIODIC_JOBS:
        assert periodic.name in result.output
    assert "30 2 * * * (Asia/Shanghai)" in result.output
    assert "last success:" in result.output and "last error:" in result.output

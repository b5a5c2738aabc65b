"""Running the periodic-job table (backend/platform/schedule.py): claims, runs, retries, status.

One row of ``periodic_runs`` per (job, slot). Its primary key is the claim: of any number of
schedulers ticking at the same slot, one inserts the row and enqueues the run, the others get an
IntegrityError and move on. The run (:func:`run_slot`, on the RQ queue or inline) writes its outcome
into the row. A failed row is claimed again, by a conditional UPDATE on its attempt count (again
once across schedulers), after ``BACKOFF[attempt - 1]`` counted from the attempt's claim; a run
that never reports back (a worker killed) counts as failed after ``STALE_AFTER``.

Every decision reads the clock passed to :meth:`Scheduler.tick`, so tests drive time by hand.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.platform.db import Base, affected_rows, utcnow
from backend.platform.jobs import JobQueue, runtime
from backend.platform.schedule import BACKOFF, PERIODIC_JOBS, SCHEDULE_TZ, Periodic, resolve

log = logging.getLogger(__name__)

QUEUED, SUCCEEDED, FAILED = "queued", "succeeded", "failed"
STALE_AFTER = timedelta(hours=2)  # longer than any job's timeout (the nightly rescoring: 1 h)
KEEP_RUNS = timedelta(days=30)
JOB_TIMEOUT = 3600


class PeriodicRun(Base):
    """One slot of one periodic job: claimed, then succeeded or failed (and maybe claimed again)."""

    __tablename__ = "periodic_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[datetime] = mapped_column(primary_key=True)  # the cron time this run is for (UTC)
    state: Mapped[str] = mapped_column(String(10))  # queued / succeeded / failed
    attempts: Mapped[int]  # attempts claimed so far, this one included
    claimed_at: Mapped[datetime]  # the scheduler's clock when the current attempt was claimed
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(300))


def _short_error(exc: BaseException) -> str:
    # Operators read this in ``flask jobs status``; long digit runs (ID numbers, phones) are not kept.
    text = re.sub(r"\d{6,}", "…", f"{type(exc).__name__}: {exc}")
    return text.splitlines()[0][:300] if text else type(exc).__name__


def run_slot(name: str, target: str, slot_iso: str) -> None:
    """Run one claimed attempt of a periodic job and record its outcome (the job the queue runs)."""
    new_session = runtime().new_session
    slot = datetime.fromisoformat(slot_iso)
    error = None
    try:
        resolve(target)()
    except Exception as exc:  # the job's own wrapper logged the traceback once
        error = _short_error(exc)
    sess = new_session()
    try:
        run = sess.get(PeriodicRun, (name, slot))
        if run is not None:
            run.state, run.error, run.finished_at = (FAILED, error, utcnow()) if error else (SUCCEEDED, None, utcnow())
        sess.commit()
    finally:
        sess.close()
    if error:
        log.warning("periodic job %s (slot %s) failed: %s", name, slot_iso, error)


@dataclass
class Scheduler:
    """Claims due slots and failed attempts whose backoff has passed, and puts them on ``queue``."""

    new_session: Callable[[], Session]
    queue: JobQueue
    jobs: Iterable[Periodic] = PERIODIC_JOBS

    def tick(self, now: datetime | None = None) -> list[str]:
        """One pass over the table at ``now``; the names of the jobs enqueued (once per slot)."""
        now = now or utcnow()
        started = []
        for job in self.jobs:
            slot = job.latest_slot(now)
            fresh = job.catch_up is None or now - slot <= job.catch_up
            if (fresh and self._claim(job, slot, now)) or self._reclaim(job, slot, now):
                started.append(job.name)
                self.queue.enqueue(run_slot, job.name, job.target, slot.isoformat(), job_timeout=JOB_TIMEOUT)
        return started

    def _claim(self, job: Periodic, slot: datetime, now: datetime) -> bool:
        sess = self.new_session()
        try:
            sess.add(PeriodicRun(job=job.name, slot=slot, state=QUEUED, attempts=1, claimed_at=now))
            sess.execute(delete(PeriodicRun).where(PeriodicRun.job == job.name, PeriodicRun.slot < now - KEEP_RUNS))
            sess.commit()
            return True
        except IntegrityError:  # another scheduler (or an earlier tick) has this slot
            sess.rollback()
            return False
        finally:
            sess.close()

    def _reclaim(self, job: Periodic, slot: datetime, now: datetime) -> bool:
        sess = self.new_session()
        try:
            run = sess.get(PeriodicRun, (job.name, slot))
            if run is None or run.attempts > len(BACKOFF):
                return False
            error: str | None
            if run.state == QUEUED and now - run.claimed_at >= STALE_AFTER:
                error = f"no outcome within {STALE_AFTER} (worker lost?)"
            elif run.state == FAILED and now - run.claimed_at >= timedelta(seconds=BACKOFF[run.attempts - 1]):
                error = run.error
            else:
                return False
            # Conditional on the attempt count: of several schedulers, one moves it on.
            moved = affected_rows(
                sess,
                update(PeriodicRun)
                .where(PeriodicRun.job == job.name, PeriodicRun.slot == slot,
                       PeriodicRun.attempts == run.attempts, PeriodicRun.state == run.state)
                .values(state=QUEUED, attempts=run.attempts + 1, claimed_at=now, error=error)
                .execution_options(synchronize_session=False),
            )
            sess.commit()
            return bool(moved == 1)
        finally:
            sess.close()


@dataclass(frozen=True)
class JobStatus:
    job: Periodic
    next_run: datetime
    last: PeriodicRun | None
    last_success: datetime | None
    last_error: PeriodicRun | None


def job_status(session: Session, now: datetime | None = None, jobs: Iterable[Periodic] = PERIODIC_JOBS) -> list[JobStatus]:
    """Per job: its next run (a pending retry first), the last run, last success and last error."""
    now = now or utcnow()
    out = []
    for job in jobs:
        runs = session.scalars(select(PeriodicRun).where(PeriodicRun.job == job.name)
                               .order_by(PeriodicRun.slot.desc()).limit(200)).all()
        last = runs[0] if runs else None
        next_run = job.next_slot(now)
        if last is not None and last.state == FAILED and last.attempts <= len(BACKOFF):
            next_run = min(next_run, last.claimed_at + timedelta(seconds=BACKOFF[last.attempts - 1]))
        success = next((r.finished_at for r in runs if r.state == SUCCEEDED), None)
        error = next((r for r in runs if r.error), None)
        out.append(JobStatus(job, next_run, last, success, error))
    return out


def local(at: datetime | None) -> str:
    """A time as the district reads it: ``2026-12-02 02:30 (Asia/Shanghai)``."""
    return at.astimezone(SCHEDULE_TZ).strftime("%Y-%m-%d %H:%M") + " (Asia/Shanghai)" if at else "never"

"""The periodic-job table: each job runs at wall-clock times in Asia/Shanghai, given as a cron expression.

How a row becomes a run (backend/platform/scheduler.py): every tick of ``flask jobs scheduler`` (or
each ``flask jobs run-due`` from cron) looks at each job's latest slot — the latest time its cron
expression names that is not in the future — and claims (job, slot) in the ``periodic_runs`` table;
the primary key makes the claim once per slot across any number of scheduler processes. The claimer
puts the run on the queue; the run records its outcome. A failed run is retried after ``BACKOFF``
(1, 5, 15 min), then waits for its next slot. ``flask jobs status`` shows it all.

Cron slots are computed by croniter (also what RQ's own cron uses); RQ's cron scheduler itself is
not used because it reads the server's local time zone and enqueues once per scheduler process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

# The district's clock: cron expressions in PERIODIC_JOBS are read in this zone (no DST, UTC+8).
SCHEDULE_TZ = ZoneInfo("Asia/Shanghai")

# Seconds before the 2nd, 3rd and 4th attempt of a failed run; after that it waits for its next slot.
BACKOFF: tuple[int, ...] = (60, 5 * 60, 15 * 60)


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str  # "module:function" — a function decorated with backend.platform.jobs.job, taking no ids
    cron: str  # "minute hour day month weekday", Asia/Shanghai wall-clock time
    # How long after its slot a missed run (no scheduler was running) still starts; None: until the
    # next slot. The nightly rescoring must not start in the middle of a working day.
    catch_up: timedelta | None = None

    def latest_slot(self, now: datetime) -> datetime:
        """The latest time this job is due at or before ``now`` (aware, UTC)."""
        # Strictly before the start of the next minute: a slot at this very minute counts as come.
        upto = now.astimezone(SCHEDULE_TZ).replace(second=0, microsecond=0) + timedelta(minutes=1)
        prev: datetime = croniter(self.cron, upto).get_prev(datetime)
        return prev.astimezone(UTC)

    def next_slot(self, now: datetime) -> datetime:
        """The first time after ``now`` this job is due (aware, UTC)."""
        nxt: datetime = croniter(self.cron, now.astimezone(SCHEDULE_TZ)).get_next(datetime)
        return nxt.astimezone(UTC)


# The one table of periodic jobs. Add a row to schedule a new one (times are Asia/Shanghai).
PERIODIC_JOBS: tuple[Periodic, ...] = (
    # Records past their maximum publicity period drop off (已到期), just after midnight.
    Periodic("records-expire", "backend.records.tasks:expire_records", "5 0 * * *"),
    # List entries past their end date leave the list (期满移出), just after midnight.
    Periodic("lists-expire", "backend.lists.tasks:expire_lists", "10 0 * * *"),
    # Idempotency replays are kept 24 h: purge hourly.
    Periodic("idempotency-purge", "backend.http.idempotency:purge_expired_idempotency_keys", "17 * * * *"),
    # Scores decay inside publicity windows and records drop off: rescore everyone at night, after
    # the expiry jobs, when nobody is at the counter.
    Periodic("credit-recompute", "backend.evaluation.tasks:recompute_all", "30 2 * * *",
             catch_up=timedelta(hours=3)),
    # Anchor the audit chain's head (a signed checkpoint to AUDIT_CHECKPOINT_FILE and the log), so a
    # deleted or rewritten tail is found by `flask audit verify`: hourly at :05.
    Periodic("audit-checkpoint", "backend.common.audit_checkpoints:write_audit_checkpoint", "5 * * * *"),
    # Overdue queue items (异议、授权 …) are escalated to the credit office, before the working day starts.
    Periodic("queues-escalate", "backend.queues.tasks:escalate_overdue_items", "30 8 * * *"),
    # Last month's commitment 登记表 and 违诺信息表 for the city (due by the 5th): 01:00 on the 1st.
    Periodic("commitments-monthly-report", "backend.commitments.tasks:monthly_report", "0 1 1 * *"),
    # Active commitments past their term, per department (期满待核查): 08:00 daily.
    Periodic("commitments-lapsed-reminder", "backend.commitments.tasks:remind_lapsed", "0 8 * * *"),
    # 承诺履约核查: one queue item per active commitment past its term, on the department's queue,
    # before the working day and before the queues' escalation (08:30): 08:05 daily.
    Periodic("commitments-followups", "backend.commitments.tasks:open_commitment_followups", "5 8 * * *"),
)


def resolve(target: str) -> Callable[..., object]:
    module, _, attr = target.partition(":")
    fn: Callable[..., object] = getattr(importlib.import_module(module), attr)
    return fn

"""Periodic jobs: one table, one scheduler process for the whole deployment.

``flask jobs scheduler`` runs on any number of nodes; a Redis lock elects one of them each tick, so a
job is enqueued once per period however many schedulers run. Workers (``flask jobs worker`` or
``rq worker credit``) run the jobs. Without Redis (embedded default) ``flask jobs run-due`` runs them
inline — for cron on a single machine.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str  # "module:function" — a function decorated with backend.platform.jobs.job, taking no ids
    every_seconds: int


# The one table of periodic jobs. Add a row to schedule a new one.
PERIODIC_JOBS: tuple[Periodic, ...] = (
    # Scores decay inside publicity windows and records drop off: rescore everyone nightly.
    # Records past their maximum publicity period drop off (已到期) automatically.
    Periodic("records-expire", "backend.records.tasks:expire_records", 24 * 3600),
    # List entries past their end date leave the list (期满移出).
    Periodic("lists-expire", "backend.lists.tasks:expire_lists", 24 * 3600),
    # Idempotency replays are kept 24 h.
    Periodic("idempotency-purge", "backend.http.idempotency:purge_expired_idempotency_keys", 3600),
    Periodic("credit-recompute", "backend.evaluation.tasks:recompute_all", 24 * 3600),
    # 01:00 on the 1st, Asia/Shanghai: last month's commitment 登记表 and 违诺信息表 (due by the 5th).
    # Until the table has wall-clock times it runs every 24 h and rewrites last month's files.
    Periodic("commitments-monthly-report", "backend.commitments.tasks:monthly_report", 24 * 3600),
    # 08:00 daily, Asia/Shanghai: active commitments past their term, per department (期满待核查).
    Periodic("commitments-lapsed-reminder", "backend.commitments.tasks:remind_lapsed", 24 * 3600),
)


def resolve(target: str) -> Callable[..., object]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def due_jobs(store, now: float | None = None) -> list[Periodic]:
    """Claim the jobs whose period has elapsed (a key with the period as TTL marks the claim)."""
    due = []
    for job in PERIODIC_JOBS:
        if store.add(f"periodic:{job.name}", str(now or time.time()), ttl=job.every_seconds):
            due.append(job)
    return due

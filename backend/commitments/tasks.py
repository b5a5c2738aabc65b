"""Commitment jobs: the monthly report to the city, the follow-up items and the reminder."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.commitments.followups import open_followups
from backend.commitments.models import Commitment, CommitmentStatus
from backend.commitments.reports import previous_month, write_month
from backend.common.actor import SYSTEM
from backend.common.clock import china_today
from backend.platform.config import printed_base_url
from backend.platform.jobs import job, runtime

log = logging.getLogger(__name__)


@job
def monthly_report(session: Session) -> dict:
    """On the 1st: last month's 登记表 and 违诺信息表 as XLSX in the ``COMMITMENT_REPORTS_DIR`` setting
    (default ``<INSTANCE_DIR>/reports``), in time for the 5th. The staff API makes the same tables on demand."""
    first = previous_month()
    settings = runtime().settings
    directory = settings.get("COMMITMENT_REPORTS_DIR") or f"{settings.get('INSTANCE_DIR') or 'instance'}/reports"
    written = write_month(session, SYSTEM, first, directory,
                          base_url=printed_base_url(settings))
    for table, (path, rows) in written.items():
        log.info("commitments report %s %s: %d rows -> %s", first.strftime("%Y-%m"), table, rows, path)
    return {table: rows for table, (_, rows) in written.items()}


@job
def remind_lapsed(session: Session) -> dict[int, int]:
    """Daily: how many active commitments are past their term per department (期满待核查, the
    ``lapsed=true`` queue of GET /staff/v1/commitments), logged for the departments' follow-up."""
    rows = session.execute(
        select(Commitment.department_id, func.count())
        .where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.valid_until < china_today())
        .group_by(Commitment.department_id)
    ).all()
    for dept, n in rows:
        log.info("commitments lapsed awaiting follow-up: department %s has %d", dept, n)
    return {dept: n for dept, n in rows}


@job
def open_commitment_followups(session: Session) -> int:
    """Daily: one 承诺履约核查 queue item (kind ``commitment_followup``) per active commitment past
    its term, on its department's queue; none twice for the same commitment."""
    opened = open_followups(session)
    log.info("commitment follow-ups opened: %d", opened)
    return opened

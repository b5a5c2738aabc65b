"""Queue deadlines across the board: flags for listings, the escalation of overdue items, statistics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_days, china_today
from backend.common.text import field_error
from backend.platform.db import utcnow
from backend.queues.models import QueueEvent, QueueItem
from backend.queues.services import DUE_SOON_WORKING_DAYS, READ_ROLES
from backend.staff.models import Department
from backend.staff.services import department_scoped, require_role

STATS_MAX_DAYS = 366


def deadline_flags(session: Session, items: Iterable[QueueItem], today: date | None = None) -> dict[int, dict]:
    """``{item_id: {"overdue", "due_soon"}}`` for a page of items (one calendar query)."""
    today = today or china_today()
    soon = add_working_days(session, today, DUE_SOON_WORKING_DAYS)
    out = {}
    for item in items:
        open_due = item.is_open and item.deadline is not None
        overdue = open_due and item.deadline < today
        out[item.id] = {"overdue": overdue, "due_soon": open_due and not overdue and item.deadline <= soon}
    return out


def escalate_overdue(session: Session, today: date | None = None) -> int:
    """Overdue open items not yet escalated are escalated to the credit office (信用办督办): marked,
    put on their timeline and audited; the credit office's ``?escalated=true`` view lists them.
    They stay with their department, which still has to decide. Returns how many."""
    today = today or china_today()
    due = (QueueItem.is_open.is_(True) & QueueItem.deadline.is_not(None) & (QueueItem.deadline < today)
           & QueueItem.escalated_at.is_(None))
    ids = list(session.execute(select(QueueItem.id).where(due).order_by(QueueItem.id)).scalars())
    if not ids:
        return 0
    now = utcnow()
    session.execute(update(QueueItem).where(QueueItem.id.in_(ids), due).values(escalated_at=now)
                    .execution_options(synchronize_session=False))
    session.add_all(QueueEvent(item_id=i, at=now, actor=SYSTEM.ref, action="escalate", note="已超过办理时限，提交信用办督办",
                               details={}) for i in ids)
    for item_id in ids:  # items of this session reload the flag
        obj = session.identity_map.get(session.identity_key(QueueItem, item_id))
        if obj is not None:
            session.expire(obj, ["escalated_at"])
    session.flush()
    audit(session, SYSTEM, "queue.escalate", "queue_item", None, count=len(ids), before=today.isoformat())
    return len(ids)


def queue_stats(session: Session, actor: Actor, *, date_from: date, date_to: date,
                department_code: str | None = None, kind: str | None = None) -> list[dict]:
    """Per department and kind: open and overdue now, and items decided in ``date_from``..``date_to``
    (China dates, inclusive) on time and late. Department reviewers see their own department."""
    require_role(actor, READ_ROLES, "您的岗位没有查看待办统计的权限。")
    if date_to < date_from:
        raise field_error("date_to", "date_range_invalid", "结束日期不能早于开始日期。")
    if (date_to - date_from).days > STATS_MAX_DAYS:
        raise field_error("date_to", "date_range_too_long", f"统计区间不能超过{STATS_MAX_DAYS}天。")
    today = china_today()
    decided = and_(QueueItem.is_open.is_(False), *china_days(QueueItem.closed_at, date_from, date_to))

    def count(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = select(
        QueueItem.department_id, QueueItem.kind,
        count(QueueItem.is_open.is_(True)).label("open"),
        count(QueueItem.is_open.is_(True) & QueueItem.deadline.is_not(None) & (QueueItem.deadline < today)).label("overdue"),
        count(decided & QueueItem.closed_late.is_not(True)).label("decided_on_time"),
        count(decided & QueueItem.closed_late.is_(True)).label("decided_late"),
    ).group_by(QueueItem.department_id, QueueItem.kind).order_by(QueueItem.department_id, QueueItem.kind)
    stmt = department_scoped(session, actor, stmt, QueueItem.department_id, department_code)
    if kind:
        stmt = stmt.where(QueueItem.kind == kind)
    rows = session.execute(stmt).all()
    return [dict(r._mapping) for r in rows if r.open or r.decided_on_time or r.decided_late]


@dataclass(frozen=True)
class DepartmentQueueFigures:
    """One department's queue work, all kinds together (the console's dashboard)."""

    code: str
    short_name: str
    open: int
    overdue: int
    decided_on_time: int
    decided_late: int

    @property
    def on_time_rate(self) -> float | None:
        decided = self.decided_on_time + self.decided_late
        return None if not decided else self.decided_on_time / decided


def department_figures(session: Session, actor: Actor, *, date_from: date, date_to: date) -> list[DepartmentQueueFigures]:
    """:func:`queue_stats` summed over the kinds, per department with its names, by department code."""
    totals: dict[int, list[int]] = {}
    for row in queue_stats(session, actor, date_from=date_from, date_to=date_to):
        t = totals.setdefault(row["department_id"], [0, 0, 0, 0])
        for i, key in enumerate(("open", "overdue", "decided_on_time", "decided_late")):
            t[i] += int(row[key])
    if not totals:
        return []
    names = session.execute(select(Department.id, Department.code, Department.short_name)
                            .where(Department.id.in_(totals))).all()
    return sorted((DepartmentQueueFigures(code, short or code, *totals[i]) for i, code, short in names),
                  key=lambda f: f.code)

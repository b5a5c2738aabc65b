"""The review-queue engine: open, read, claim, release, reassign, re-route and decide queue items.

Every kind of staff work (see :mod:`backend.queues.kinds`) goes through these functions, so scope,
claiming, deadlines, the timeline and the audit chain work the same for all of them:

- scope: a department reviewer sees and acts on items routed to their own department only; the
  credit office (信用办) sees all and may re-route; auditors read only (``department_scoped``,
  ``require_role``). An item out of scope is answered as not found.
- claiming is one conditional UPDATE (``… WHERE assignee_id IS NULL``): of two reviewers claiming
  at once exactly one gets the row, the other a 409 ``item_claimed``.
- a decision on an item someone else holds is a 409 ``item_held_by_other``; a decision on an
  unclaimed item claims it in the same conditional UPDATE.
- each step's deadline comes from the dated rules of :mod:`backend.queues.deadlines`.

No Flask here; functions flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.platform.db import affected_rows, utcnow
from backend.platform.errors import Conflict, NotFound
from backend.queues.deadlines import deadline_for
from backend.queues.kinds import DONE, KINDS, get_kind
from backend.queues.models import QueueEvent, QueueItem
from backend.staff.departments import CREDIT_OFFICE_CODE
from backend.staff.models import Department, Role, StaffUser
from backend.staff.services import (
    department_by_code,
    department_scoped,
    require_role,
    scoped_department_id,
)
from backend.subjects.models import Firm
from backend.subjects.services import find_subject_id

NOTE_MAX = 1000
DUE_SOON_WORKING_DAYS = 1  # 即将到期: due today or on the next working day (as reports.deadline_flags)
DUE_FILTERS = ("overdue", "soon", "ok")
SORTS = ("deadline", "newest", "oldest")


def _writer(actor: Actor, kind: str | None = None) -> None:
    require_role(actor, (Role.CREDIT_ADMIN, *_worker_roles(kind)), "您的岗位没有办理待办事项的权限。")


def _reader(actor: Actor, kind: str | None = None) -> None:
    require_role(actor, (Role.CREDIT_ADMIN, Role.AUDITOR, *_worker_roles(kind)), "您的岗位没有查看待办事项的权限。")


def _worker_roles(kind: str | None) -> set[str]:
    """The roles that work ``kind`` (any kind when None) in their own organisation's queue."""
    kinds = KINDS.values() if kind is None else [KINDS[kind]] if kind in KINDS else []
    return {role for k in kinds for role in k.worker_roles}


# Who may reach the queue endpoints at all; each call then checks the item's own kind.
WRITE_ROLES = (Role.CREDIT_ADMIN, *sorted(_worker_roles(None)))
READ_ROLES = (*WRITE_ROLES, Role.AUDITOR)


def kinds_for(actor: Actor) -> list[str]:
    """The kinds whose items ``actor`` may see: all for the credit office, auditors and jobs; for
    other staff the kinds their role works (a bank's loan officer: loans only)."""
    if actor.kind == "system" or actor.role in (Role.CREDIT_ADMIN, Role.AUDITOR):
        return list(KINDS)
    return [name for name, k in KINDS.items() if actor.role in k.worker_roles]


def _not_found() -> NotFound:
    return NotFound("queue_item_not_found", "没有找到该待办事项。")


def _event(session: Session, actor: Actor, item: QueueItem, action: str, *, from_state: str | None = None,
           to_state: str | None = None, note: str | None = None, **details: Any) -> None:
    # JSON column: dates and other values as their text (as the audit chain stores them)
    details = json.loads(json.dumps(details, default=str, ensure_ascii=False))
    session.add(QueueEvent(item_id=item.id, actor=actor.ref, action=action, from_state=from_state,
                           to_state=to_state, note=note, details=details))


def _set_step(session: Session, item: QueueItem, state: str, start: date) -> None:
    due, rule = deadline_for(session, item.kind, state, start)
    item.step_started_on = start
    item.deadline = due
    item.deadline_rule = rule.code if rule else None
    item.escalated_at = None


# --- creating and moving items (called by the kinds' services) ----------------------------------


def credit_office_id(session: Session) -> int:
    """The credit office (信用办), where acceptance-type work is routed first."""
    return session.execute(select(Department.id).where(Department.code == CREDIT_OFFICE_CODE)).scalar_one()


def open_item(session: Session, actor: Actor, *, kind: str, ref_id: int, subject_id: int | None,
              department_id: int, start: date | None = None, note: str | None = None) -> QueueItem:
    """Put a new piece of work on the queue of ``department_id``, in the kind's first state, with the
    deadline of that step (from ``start``, default today in China)."""
    spec = get_kind(kind)
    item = QueueItem(kind=kind, ref_id=ref_id, subject_id=subject_id, department_id=department_id,
                     state=spec.initial, is_open=True)
    _set_step(session, item, spec.initial, start or china_today())
    session.add(item)
    session.flush()
    _event(session, actor, item, "create", to_state=item.state, note=note, deadline=item.deadline,
           rule=item.deadline_rule)
    audit(session, actor, "queue.create", "queue_item", item.id, kind=kind, ref_id=ref_id,
          department_id=department_id, deadline=item.deadline)
    return item


def item_for(session: Session, kind: str, ref_id: int) -> QueueItem | None:
    return session.execute(select(QueueItem).where(QueueItem.kind == kind, QueueItem.ref_id == ref_id)).scalar()


def move_item(session: Session, actor: Actor, item: QueueItem, to_state: str, *, action: str,
              note: str | None = None, department_id: int | None = None, today: date | None = None) -> QueueItem:
    """Move an open item to another open state (a new step with its own deadline), e.g. the
    applicant completing their materials. Not for staff decisions (see :func:`decide`)."""
    spec = get_kind(item.kind)
    if to_state not in spec.open_states:
        raise ValueError(f"{to_state} is not an open state of {item.kind}")
    from_state = item.state
    done = affected_rows(
        session,
        update(QueueItem).where(QueueItem.id == item.id, QueueItem.state == from_state, QueueItem.is_open.is_(True))
        .values(state=to_state, updated_at=utcnow()).execution_options(synchronize_session=False),
    )
    if not done:
        raise Conflict("queue_item_changed", "该事项刚被其他人处理过，请刷新后再试。")
    session.refresh(item)
    if department_id is not None and department_id != item.department_id:
        item.department_id = department_id
        item.assignee_id = None
    _set_step(session, item, to_state, today or china_today())
    session.flush()
    _event(session, actor, item, action, from_state=from_state, to_state=to_state, note=note,
           deadline=item.deadline, rule=item.deadline_rule)
    return item


def close_item(session: Session, actor: Actor, item: QueueItem, outcome: str, note: str | None = None) -> None:
    """Close an open item without a staff decision (the applicant withdrew, the record expired …)."""
    if not item.is_open:
        return
    from_state = item.state
    _close(item, outcome)
    session.flush()
    _event(session, actor, item, "close", from_state=from_state, to_state=DONE, note=note, outcome=outcome)
    audit(session, actor, "queue.close", "queue_item", item.id, kind=item.kind, outcome=outcome)


def _close(item: QueueItem, outcome: str, today: date | None = None) -> None:
    now = utcnow()
    item.state, item.is_open, item.outcome, item.closed_at, item.updated_at = DONE, False, outcome, now, now
    item.closed_late = item.deadline is not None and (today or china_today()) > item.deadline


# --- reading ----------------------------------------------------------------------------------


def get_item(session: Session, actor: Actor, item_id: int) -> QueueItem:
    """One item the actor may see (out of scope: 404 like a missing id)."""
    _reader(actor)
    item = session.get(QueueItem, item_id)
    if item is None:
        raise _not_found()
    allowed = scoped_department_id(actor)
    if (allowed is not None and allowed != item.department_id) or item.kind not in kinds_for(actor):
        raise _not_found()
    return item


def list_items(session: Session, actor: Actor, *, kind: str | None = None, state: str | None = None,
               department_code: str | None = None, mine: bool = False, overdue: bool | None = None,
               subject_code: str | None = None, escalated: bool | None = None, page: int = 1,
               per_page: int = 20, due: str | None = None, subject_name: str | None = None,
               sort: str = "deadline") -> Page:
    """The actor's queue: open items first by deadline (soonest first), then closed ones newest first.

    ``due`` picks open items by deadline badge: ``overdue`` (before today), ``soon`` (today or the
    next working day), ``ok`` (later, or no deadline). ``subject_name``: firms whose name contains
    it (persons' names are encrypted: find a person by ID number, ``subject_code``). ``sort``:
    ``deadline`` (default), ``newest`` / ``oldest`` (by when the item was opened)."""
    if kind and kind not in KINDS:
        raise field_error("kind", "kind_invalid", "事项类别不正确。")
    _reader(actor, kind)
    stmt = department_scoped(session, actor, select(QueueItem), QueueItem.department_id, department_code)
    if kind:
        stmt = stmt.where(QueueItem.kind == kind)
    visible = kinds_for(actor)
    if len(visible) < len(KINDS):
        stmt = stmt.where(QueueItem.kind.in_(visible))
    if state == "open":
        stmt = stmt.where(QueueItem.is_open.is_(True))
    elif state:
        stmt = stmt.where(QueueItem.state == state)
    if mine:
        stmt = stmt.where(QueueItem.assignee_id == (actor.id if actor.is_staff else -1))
    today = china_today()
    if overdue is not None:
        late = QueueItem.is_open.is_(True) & QueueItem.deadline.is_not(None) & (QueueItem.deadline < today)
        stmt = stmt.where(late if overdue else ~late)
    if escalated is not None:
        stmt = stmt.where(QueueItem.escalated_at.is_not(None) if escalated else QueueItem.escalated_at.is_(None))
    if subject_code:
        stmt = stmt.where(QueueItem.subject_id == (find_subject_id(session, subject_code) or -1))
    if subject_name:
        firms = select(Firm.id).where(Firm.name.contains(subject_name.strip()[:100], autoescape=True))
        stmt = stmt.where(QueueItem.subject_id.in_(firms))
    if due is not None:
        if due not in DUE_FILTERS:
            raise field_error("due", "due_invalid", "期限筛选无法识别。")
        soon = add_working_days(session, today, DUE_SOON_WORKING_DAYS)
        has_due = QueueItem.is_open.is_(True) & QueueItem.deadline.is_not(None)
        stmt = stmt.where(QueueItem.is_open.is_(True), {
            "overdue": has_due & (QueueItem.deadline < today),
            "soon": has_due & (QueueItem.deadline >= today) & (QueueItem.deadline <= soon),
            "ok": QueueItem.deadline.is_(None) | (QueueItem.deadline > soon),
        }[due])
    if sort not in SORTS:
        raise field_error("sort", "sort_invalid", "排序方式无法识别。")
    order = {
        "deadline": (QueueItem.is_open.desc(), QueueItem.deadline.is_(None), QueueItem.deadline,
                     QueueItem.updated_at.desc(), QueueItem.id),
        "newest": (QueueItem.created_at.desc(), QueueItem.id.desc()),
        "oldest": (QueueItem.created_at, QueueItem.id),
    }[sort]
    return paginate(session, stmt, *order, page=page, per_page=per_page)


def timeline(session: Session, item_id: int) -> list[QueueEvent]:
    return list(session.execute(
        select(QueueEvent).where(QueueEvent.item_id == item_id).order_by(QueueEvent.at, QueueEvent.id)
    ).scalars())


# --- claiming ---------------------------------------------------------------------------------


def _refusal(session: Session, actor: Actor, item: QueueItem) -> Conflict:
    session.refresh(item)
    if not item.is_open:
        return Conflict("queue_item_closed", "该事项已办结。")
    if item.assignee_id is not None and item.assignee_id != actor.id:
        return Conflict("item_held_by_other", "该事项已由其他工作人员认领办理，请刷新后查看。")
    return Conflict("queue_item_changed", "该事项刚被其他人处理过，请刷新后再试。")


def claim(session: Session, actor: Actor, item_id: int) -> QueueItem:
    """Take an unclaimed open item (认领). One conditional UPDATE: two reviewers at once, one wins;
    the other gets 409 ``item_claimed``. Claiming one's own item again changes nothing."""
    _writer(actor)
    item = get_item(session, actor, item_id)
    _writer(actor, item.kind)
    if item.is_open and item.assignee_id == actor.id:
        return item
    session.flush()
    done = affected_rows(
        session,
        update(QueueItem).where(QueueItem.id == item.id, QueueItem.is_open.is_(True), QueueItem.assignee_id.is_(None))
        .values(assignee_id=actor.id, updated_at=utcnow()).execution_options(synchronize_session=False),
    )
    if not done:
        err = _refusal(session, actor, item)
        if err.reason == "item_held_by_other":
            raise Conflict("item_claimed", "该事项已被其他工作人员认领。")
        raise err
    session.refresh(item)
    _event(session, actor, item, "claim")
    audit(session, actor, "queue.claim", "queue_item", item.id, kind=item.kind)
    return item


def release(session: Session, actor: Actor, item_id: int, note: str | None = None) -> QueueItem:
    """Give a claimed item back to the department's queue (the holder, or the credit office)."""
    _writer(actor)
    item = get_item(session, actor, item_id)
    _writer(actor, item.kind)
    note = clean_text(note, "note", "说明", False, NOTE_MAX)
    if not item.is_open:
        raise Conflict("queue_item_closed", "该事项已办结。")
    if item.assignee_id is None:
        raise Conflict("queue_item_not_claimed", "该事项尚未被认领。")
    if item.assignee_id != actor.id and actor.role != Role.CREDIT_ADMIN:
        raise Conflict("item_held_by_other", "该事项由其他工作人员办理，只有本人或信用办可以退回。")
    previous = item.assignee_id
    item.assignee_id = None
    item.updated_at = utcnow()
    session.flush()
    _event(session, actor, item, "release", note=note, previous_assignee_id=previous)
    audit(session, actor, "queue.release", "queue_item", item.id, previous_assignee_id=previous)
    return item


def reassign(session: Session, actor: Actor, item_id: int, *, assignee_id: int | None = None,
             department_code: str | None = None, note: str | None = None) -> QueueItem:
    """Hand an item to a colleague (``assignee_id``, of the item's department), or re-route it to
    another department (``department_code``: credit office only; the new department claims it)."""
    _writer(actor)
    item = get_item(session, actor, item_id)
    _writer(actor, item.kind)
    note = clean_text(note, "note", "说明", False, NOTE_MAX)
    if not item.is_open:
        raise Conflict("queue_item_closed", "该事项已办结。")
    if assignee_id is None and not department_code:
        raise field_error("assignee_id", "reassign_target_required", "请指定接办人员或改派的部门。")
    if item.assignee_id not in (None, actor.id) and actor.role != Role.CREDIT_ADMIN:
        raise Conflict("item_held_by_other", "该事项由其他工作人员办理，只有本人或信用办可以转办。")
    before = (item.department_id, item.assignee_id)
    if department_code:
        require_role(actor, (Role.CREDIT_ADMIN,), "只有信用办可以改派事项到其他部门。")
        if not get_kind(item.kind).reroutable:
            raise Conflict("item_not_reroutable", f"{get_kind(item.kind).label}只能由申请人选定的单位办理，不能改派。")
        item.department_id = department_by_code(session, department_code).id
        item.assignee_id = None
    if assignee_id is not None:
        user = session.get(StaffUser, assignee_id)
        if (user is None or not user.active or user.department_id != item.department_id
                or str(user.role) not in {Role.CREDIT_ADMIN, *_worker_roles(item.kind)}):
            raise field_error("assignee_id", "assignee_invalid", "接办人员应为该事项所属部门在岗的审核人员。")
        item.assignee_id = user.id
    item.updated_at = utcnow()
    session.flush()
    action = "reroute" if item.department_id != before[0] else "reassign"
    _event(session, actor, item, action, note=note, from_department_id=before[0], department_id=item.department_id,
           from_assignee_id=before[1], assignee_id=item.assignee_id)
    audit(session, actor, f"queue.{action}", "queue_item", item.id, from_department_id=before[0],
          department_id=item.department_id, assignee_id=item.assignee_id)
    return item


# --- deciding ---------------------------------------------------------------------------------


def decide(session: Session, actor: Actor, item_id: int, *, outcome: str, reason: str | None = None,
           data: Mapping[str, Any] | None = None, item: QueueItem | None = None,
           today: date | None = None) -> QueueItem:
    """Decide the current step of an item with a reason (办理意见). The kind's handler applies the
    decision to its own data and says what follows: the item closes (已办结) or moves to its next
    step (a new deadline, perhaps another department). Someone else holding it: 409
    ``item_held_by_other``; an outcome the step does not allow: 422 ``outcome_invalid``. ``today``
    (default: today in China) is the day the decision counts as taken."""
    _writer(actor)
    today = today or china_today()
    item = item or get_item(session, actor, item_id)
    _writer(actor, item.kind)
    spec = get_kind(item.kind)
    reason = clean_text(reason, "reason", "办理意见", False, NOTE_MAX)
    if not item.is_open:
        raise Conflict("queue_item_closed", "该事项已办结。")
    choices = spec.outcomes.get(item.state, {})
    if outcome not in choices:
        allowed = "、".join(f"{k}（{v}）" for k, v in choices.items()) or "无"
        raise field_error("outcome", "outcome_invalid", f"该事项当前可作的决定：{allowed}。")
    from_state = item.state
    session.flush()
    # Claim for the decision: unclaimed or already ours, still in the state it was read in. On
    # PostgreSQL the row stays locked until commit, so a concurrent decision waits, then is refused.
    held = affected_rows(
        session,
        update(QueueItem)
        .where(QueueItem.id == item.id, QueueItem.is_open.is_(True), QueueItem.state == from_state,
               or_(QueueItem.assignee_id.is_(None), QueueItem.assignee_id == actor.id))
        .values(assignee_id=actor.id, updated_at=utcnow()).execution_options(synchronize_session=False),
    )
    if not held:
        raise _refusal(session, actor, item)
    session.refresh(item)
    nxt = spec.apply(session, actor, item, outcome, reason, dict(data or {}))
    was_due, was_rule = item.deadline, item.deadline_rule
    late = was_due is not None and today > was_due
    if nxt.state == DONE:
        _close(item, outcome, today)
    else:
        item.state = nxt.state
        if nxt.department_id is not None and nxt.department_id != item.department_id:
            item.department_id = nxt.department_id
            item.assignee_id = None
        _set_step(session, item, nxt.state, today)
    session.flush()
    _event(session, actor, item, "decide", from_state=from_state, to_state=item.state, note=reason,
           outcome=outcome, late=late, deadline=was_due, rule=was_rule)
    audit(session, actor, "queue.decide", "queue_item", item.id, kind=item.kind, ref_id=item.ref_id,
          outcome=outcome, from_state=from_state, to_state=item.state, late=late)
    return item


def decide_ref(session: Session, actor: Actor, kind: str, ref_id: int, **kwargs: Any) -> QueueItem:
    """:func:`decide` on the item of ``kind``'s row ``ref_id`` (e.g. the agency decision API)."""
    item = item_for(session, kind, ref_id)
    if item is None:
        raise _not_found()
    return decide(session, actor, item.id, item=get_item(session, actor, item.id), **kwargs)

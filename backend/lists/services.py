"""Credit list services (红名单 / 重点关注 / 严重失信 / 禁入): add, remove, expire, search.

Entries are never deleted: removal sets ``removed`` with the day and the reason. Every change is
audited and calls :func:`backend.subjects.changes.subject_changed`, so the grade and the card follow.
Seed 四(一): 严重失信 listing is done prudently, with a decision document and its legal basis.

严重失信主体名单 and 禁入 (:data:`backend.lists.models.CONFIRMED_LISTS`) take two people: a member of
staff's request is a PROPOSAL (status ``proposed``: not on cards, not intercepting, not published)
and a queue item of kind ``list_proposal`` on the credit office's queue; the credit office confirms
it (it takes effect, with the legal representative's linked entry) or refuses it with a reason, and
the proposer may not confirm their own (:mod:`backend.lists.proposals`, the kind's handler). System
jobs (the demo seed, imports of decisions already taken) list directly.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.lists.models import (
    BAN_DOMAINS,
    CONFIRMED_LISTS,
    LIST_TYPE_LABELS,
    ListEntry,
    ListEntryStatus,
    ListType,
)
from backend.platform.errors import Conflict, NotFound
from backend.queues import services as queue
from backend.records.models import CreditRecord
from backend.staff.models import Role
from backend.staff.services import (
    acting_department,
    department_scoped,
    require_department_scope,
    require_role,
)
from backend.subjects.changes import subject_changed
from backend.subjects.models import Firm
from backend.subjects.services import find_subject_id

# Lists that punish need a decision document and its legal basis (审慎认定).
NEEDS_DECISION = frozenset({ListType.WATCH, ListType.SERIOUS, ListType.BAN})


def _ensure_writer(actor: Actor) -> None:
    require_role(actor, (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER), "您的岗位没有管理信用名单的权限。")


def add_list_entry(
    session: Session,
    actor: Actor,
    *,
    subject_code: str,
    list_type: ListType | str,
    reason: str,
    listed_on: date,
    legal_basis: str | None = None,
    decision_no: str | None = None,
    expires_on: date | None = None,
    domain: str | None = None,
    record_id: int | None = None,
    department_code: str | None = None,
) -> ListEntry:
    """List a subject (列入名单). One active entry per subject and list type (409 ``list_entry_exists``).

    For 严重失信 and 禁入 a member of staff's request is a proposal awaiting the credit office's
    confirmation (status ``proposed``, queue kind ``list_proposal``); one pending proposal per subject
    and list type (409 ``list_proposal_pending``)."""
    _ensure_writer(actor)
    try:
        list_type = ListType(list_type)
    except ValueError:
        raise field_error("list_type", "list_type_invalid", "名单类型应为 red、watch、serious 或 ban。") from None
    subject_id = find_subject_id(session, subject_code)
    if subject_id is None:
        raise field_error("subject_code", "subject_unknown", "没有找到该代码对应的信用主体，请核对。")
    needs = list_type in NEEDS_DECISION
    reason = clean_text(reason, "reason", "列入事由", True)
    legal_basis = clean_text(legal_basis, "legal_basis", "认定依据", needs)
    decision_no = clean_text(decision_no, "decision_no", "认定文书号", needs, 100)
    domain = clean_text(domain, "domain", "领域", list_type == ListType.BAN, 40)
    if list_type == ListType.BAN and domain not in BAN_DOMAINS:
        # A ban in a misspelt domain would never be found by the domain's compare-and-intercept check.
        msg = f"禁入领域应为：{'、'.join(BAN_DOMAINS)}。"
        raise field_error("domain", "ban_domain_unknown", msg)
    today = china_today()
    if listed_on > today:
        raise field_error("listed_on", "listed_on_future", "列入日期不能晚于今天。")
    if expires_on is not None and expires_on <= listed_on:
        raise field_error("expires_on", "expires_before_listed", "届满日期应晚于列入日期。")
    dept = acting_department(session, actor, department_code)
    if record_id is not None:
        linked = session.execute(select(CreditRecord.subject_id).where(CreditRecord.id == record_id)).first()
        if linked is None or linked[0] != subject_id:
            raise field_error("record_id", "record_not_of_subject", "关联的信用记录不存在或不属于该主体。")
    ensure_not_listed(session, subject_id, list_type)
    propose = list_type in CONFIRMED_LISTS and actor.is_staff
    entry = ListEntry(
        subject_id=subject_id, list_type=list_type, department_id=dept.id, record_id=record_id,
        decision_no=decision_no, reason=reason, legal_basis=legal_basis, domain=domain,
        listed_on=listed_on, expires_on=expires_on,
        status=ListEntryStatus.PROPOSED if propose else ListEntryStatus.ACTIVE,
        proposed_by_id=actor.id if propose else None,
    )
    session.add(entry)
    session.flush()
    if propose:
        audit(session, actor, "list.propose", "list_entry", entry.id, list_type=list_type.value,
              subject_id=subject_id, department_id=dept.id)
        queue.open_item(session, actor, kind="list_proposal", ref_id=entry.id, subject_id=subject_id,
                        department_id=queue.credit_office_id(session),
                        note=f"{dept.name}提议列入{LIST_TYPE_LABELS[list_type]}（{decision_no}）")
        return entry
    audit(session, actor, "list.add", "list_entry", entry.id, list_type=list_type.value,
          subject_id=subject_id, department_id=dept.id)
    return put_in_force(session, actor, entry)


def ensure_not_listed(session: Session, subject_id: int, list_type: ListType, *, besides: int | None = None) -> None:
    """409 when the subject is already on this list (``list_entry_exists``) or a proposal to list it
    awaits the credit office (``list_proposal_pending``); ``besides``: the proposal being confirmed."""
    rows = session.execute(
        select(ListEntry.id, ListEntry.status).where(
            ListEntry.subject_id == subject_id, ListEntry.list_type == list_type,
            ListEntry.status.in_((ListEntryStatus.ACTIVE, ListEntryStatus.PROPOSED)),
            ListEntry.linked_entry_id.is_(None), ListEntry.id != (besides or -1))
    ).all()
    if any(r.status == ListEntryStatus.ACTIVE for r in rows):
        raise Conflict("list_entry_exists", f"该主体已在{LIST_TYPE_LABELS[list_type]}中。")
    if rows:
        raise Conflict("list_proposal_pending", f"该主体列入{LIST_TYPE_LABELS[list_type]}的提议正待信用办确认，请勿重复提议。")


def put_in_force(session: Session, actor: Actor, entry: ListEntry) -> ListEntry:
    """An entry just in force (entered, or a proposal confirmed): the legal representative's linked
    entry (严重失信) and rescoring."""
    list_type, subject_id = entry.list_type, entry.subject_id
    changed = [subject_id]
    if list_type == ListType.SERIOUS:
        changed += _link_legal_rep(session, actor, entry)
    subject_changed(session, changed, f"list.add.{list_type.value}")
    return entry
    return entry


def _link_legal_rep(session: Session, actor: Actor, entry: ListEntry) -> list[int]:
    """Seed 四(五): a firm on the 严重失信 list puts a record naming the firm's entry into its legal
    representative's (or 负责人's) personal file; it has the firm entry's period and leaves with it."""
    row = session.execute(select(Firm.name, Firm.legal_rep_id, Firm.legal_rep_title)
                          .where(Firm.id == entry.subject_id)).first()
    if row is None or row.legal_rep_id is None:
        return []
    name, title = row.name, row.legal_rep_title
    person_id: int = row.legal_rep_id
    linked = ListEntry(
        subject_id=person_id, list_type=ListType.SERIOUS, department_id=entry.department_id,
        record_id=None, decision_no=entry.decision_no, legal_basis=entry.legal_basis, domain=entry.domain,
        reason=f"担任{name}{title or '法定代表人'}期间，该企业被列入严重失信主体名单（{entry.decision_no}）：{entry.reason}",
        listed_on=entry.listed_on, expires_on=entry.expires_on, linked_entry_id=entry.id,
    )
    session.add(linked)
    session.flush()
    audit(session, actor, "list.link_legal_rep", "list_entry", linked.id, firm_entry_id=entry.id,
          subject_id=person_id)
    return [person_id]


def get_list_entry(session: Session, entry_id: int) -> ListEntry:
    entry = session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("list_entry_not_found", "没有找到这条名单记录。")
    return entry


def remove_list_entry(session: Session, actor: Actor, entry_id: int, reason: str) -> ListEntry:
    """Move a subject off a list (移出名单): repair, correction or the department's decision."""
    _ensure_writer(actor)
    entry = get_list_entry(session, entry_id)
    require_department_scope(actor, entry.department_id)
    reason = clean_text(reason, "reason", "移出原因", True)
    if entry.status == ListEntryStatus.PROPOSED:
        raise Conflict("list_proposal_pending", "该提议尚待信用办确认，尚未生效，无需移出；如有误请告知信用办不予列入。")
    if entry.status != ListEntryStatus.ACTIVE:
        raise Conflict("list_entry_not_active", "该主体已不在名单中。")
    if entry.linked_entry_id is not None:
        raise Conflict("list_entry_linked", "该记录随企业的名单记录列入，企业移出名单时自动移出。")
    entry.status = ListEntryStatus.REMOVED
    entry.removed_on = china_today()
    entry.removal_reason = reason
    linked = list(session.execute(select(ListEntry).where(
        ListEntry.linked_entry_id == entry.id, ListEntry.status == ListEntryStatus.ACTIVE)).scalars())
    for other in linked:  # the legal representative's record leaves with the firm's entry
        other.status = ListEntryStatus.REMOVED
        other.removed_on = entry.removed_on
        other.removal_reason = f"企业移出名单，随之移出：{reason}"
    session.flush()
    audit(session, actor, "list.remove", "list_entry", entry.id, list_type=entry.list_type.value,
          subject_id=entry.subject_id, linked=[e.id for e in linked])
    subject_changed(session, [entry.subject_id, *(e.subject_id for e in linked)],
                    f"list.remove.{entry.list_type.value}")
    return entry


def expire_list_entries(session: Session, today: date | None = None) -> int:
    """Entries whose ``expires_on`` has passed leave the list (期满移出). Set-based; returns how many."""
    today = today or china_today()
    due = (ListEntry.status == ListEntryStatus.ACTIVE) & ListEntry.expires_on.is_not(None) & (ListEntry.expires_on < today)
    subject_ids = list(session.execute(select(ListEntry.subject_id).where(due)).scalars())
    if not subject_ids:
        return 0
    result = cast(CursorResult[Any], session.execute(
        update(ListEntry).where(due).values(status=ListEntryStatus.EXPIRED, removed_on=today,
                                            removal_reason="期满自动移出")
        .execution_options(synchronize_session=False)
    ))
    audit(session, SYSTEM, "list.expire", "list_entry", None, count=result.rowcount, before=today.isoformat())
    subject_changed(session, subject_ids, "list.expire")
    return result.rowcount or 0


def list_entries(
    session: Session,
    actor: Actor,
    *,
    list_type: str | None = None,
    status: str | None = None,
    subject_code: str | None = None,
    department_code: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[ListEntry]:
    """Staff search, newest first; department reviewers see their own department's entries only
    (asking for another department is 403 ``department_scope``)."""
    stmt = department_scoped(session, actor, select(ListEntry), ListEntry.department_id, department_code)
    if list_type:
        stmt = stmt.where(ListEntry.list_type == ListType(list_type))
    if status:
        stmt = stmt.where(ListEntry.status == ListEntryStatus(status))
    if subject_code:
        stmt = stmt.where(ListEntry.subject_id == (find_subject_id(session, subject_code) or -1))
    return paginate(session, stmt, ListEntry.listed_on.desc(), ListEntry.id.desc(), page=page, per_page=per_page)


def public_list_entries(session: Session, kind: ListType, *, page: int = 1, per_page: int = 20) -> Page[ListEntry]:
    """A published list (公开名单): firms only, entries in force, newest listing first."""
    stmt = (
        select(ListEntry)
        .join(Firm, Firm.id == ListEntry.subject_id)
        .where(ListEntry.list_type == kind, ListEntry.status == ListEntryStatus.ACTIVE)
    )
    return paginate(session, stmt, ListEntry.listed_on.desc(), ListEntry.id.desc(), page=page, per_page=per_page)

"""信用承诺 services: register a signed commitment, close it (kept / breached / withdrawn), search.

The department that took a commitment registers it (登记, seed 二(一)); the credit office may
register for any department. Closing is a single conditional UPDATE on ``status = 'active'``, so two
staff members closing the same commitment at once cannot both succeed (the second gets 409
``commitment_not_active``). Every change is audited and calls
:func:`backend.subjects.changes.subject_changed`: the card shows active commitments, and a kept one
adds to the grade or score (rule ``commitment_kept`` in the rules files).

Signing from the mini-program, templates, the public list and the monthly report to the city are
the commitments issue's; they call :func:`register_commitment` with the same rules.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.commitments.models import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_LABELS,
    PUBLIC_TYPES,
    Commitment,
    CommitmentStatus,
    CommitmentType,
)
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.platform.db import affected_rows
from backend.platform.errors import Conflict, NotFound
from backend.queues import services as queue
from backend.records.models import CreditRecord, RecordKind
from backend.staff.models import Role
from backend.staff.services import acting_department, department_scoped, require_department_scope, require_role
from backend.subjects.changes import subject_changed
from backend.subjects.services import find_subject_id

WRITE_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER)
CONTENT_MAX = 5000
OUTCOMES = {
    CommitmentStatus.KEPT: "commitment.kept",
    CommitmentStatus.BREACHED: "commitment.breached",
    CommitmentStatus.WITHDRAWN: "commitment.withdrawn",
}


def _parse(enum_cls, value, field: str, message: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise field_error(field, f"{field}_invalid", message) from None


def register_commitment(
    session: Session,
    actor: Actor,
    *,
    subject_code: str,
    commitment_type: CommitmentType | str,
    matter: str,
    content: str,
    signed_on: date,
    valid_until: date | None = None,
    document_no: str | None = None,
    department_code: str | None = None,
) -> Commitment:
    """Register a commitment a subject has signed (登记信用承诺). It is active (履约中) until closed.

    The same 承诺书编号 for the same subject and department is registered once (409
    ``commitment_exists``, e.g. a double click), unless the earlier one was withdrawn."""
    require_role(actor, WRITE_ROLES, "您的岗位没有登记信用承诺的权限。")
    ctype = _parse(CommitmentType, commitment_type, "commitment_type",
                   "承诺类型应为 approval、disclosure、industry、repair 或 certification。")
    subject_id = find_subject_id(session, subject_code)
    if subject_id is None:
        raise field_error("subject_code", "subject_unknown", "没有找到该代码对应的信用主体，请核对。")
    matter = clean_text(matter, "matter", "承诺事项", True, 200)
    content = clean_text(content, "content", "承诺内容", True, CONTENT_MAX)
    document_no = clean_text(document_no, "document_no", "承诺书编号", False, 100)
    if signed_on > china_today():
        raise field_error("signed_on", "signed_on_future", "签署日期不能晚于今天。")
    if valid_until is not None and valid_until < signed_on:
        raise field_error("valid_until", "valid_until_before_signed", "承诺期限不能早于签署日期。")
    dept = acting_department(session, actor, department_code, "登记部门")
    commitment = Commitment(
        subject_id=subject_id, type=ctype, department_id=dept.id, matter=matter, content=content,
        document_no=document_no, signed_on=signed_on, valid_until=valid_until,
        created_by_id=actor.id if actor.is_staff else None,
    )
    try:  # the unique index decides, so two clicks at the same instant cannot both register
        with session.begin_nested():
            session.add(commitment)
            session.flush()
    except IntegrityError:
        raise Conflict("commitment_exists", f"编号为{document_no}的承诺书已经登记过了。") from None
    audit(session, actor, "commitment.register", "commitment", commitment.id, type=ctype.value,
          subject_id=subject_id, department_id=dept.id)
    subject_changed(session, [subject_id], f"commitment.register.{ctype.value}")
    return commitment


def get_commitment(session: Session, commitment_id: int) -> Commitment:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise NotFound("commitment_not_found", "没有找到这条信用承诺。")
    return commitment


def view_commitment(session: Session, actor: Actor, commitment_id: int) -> Commitment:
    """One commitment for staff: department reviewers only their own department's (403 ``department_scope``)."""
    commitment = get_commitment(session, commitment_id)
    require_department_scope(actor, commitment.department_id)
    return commitment


def close_commitment(
    session: Session,
    actor: Actor,
    commitment_id: int,
    *,
    outcome: CommitmentStatus | str,
    note: str,
    closed_on: date | None = None,
    breach_record_id: int | None = None,
    via_queue: bool = False,
) -> Commitment:
    """Close an active commitment: kept (已履约), breached (已违诺, optionally linked to its
    违背信用承诺 record) or withdrawn (已撤销, registered in error). 409 if it is no longer active.

    Its open 承诺履约核查 item (kind ``commitment_followup``) closes with it (``closed_elsewhere``),
    unless this closing is that item's own decision (``via_queue``, the kind's handler)."""
    require_role(actor, WRITE_ROLES, "您的岗位没有核查信用承诺的权限。")
    status = _parse(CommitmentStatus, outcome, "outcome", "核查结果应为 kept、breached 或 withdrawn。")
    if status not in OUTCOMES:
        raise field_error("outcome", "outcome_invalid", "核查结果应为 kept、breached 或 withdrawn。")
    commitment = get_commitment(session, commitment_id)
    require_department_scope(actor, commitment.department_id)
    note = clean_text(note, "note", "核查说明", True)
    closed_on = closed_on or china_today()
    if closed_on > china_today():
        raise field_error("closed_on", "closed_on_future", "核查日期不能晚于今天。")
    if closed_on < commitment.signed_on:
        raise field_error("closed_on", "closed_before_signed", "核查日期不能早于签署日期。")
    if breach_record_id is not None:
        if status is not CommitmentStatus.BREACHED:
            raise field_error("breach_record_id", "breach_record_unexpected", "只有违诺时才能关联违诺记录。")
        linked = session.execute(select(CreditRecord.subject_id, CreditRecord.kind)
                                 .where(CreditRecord.id == breach_record_id)).first()
        if linked is None or linked.subject_id != commitment.subject_id or linked.kind != RecordKind.COMMITMENT_BREACH:
            raise field_error("breach_record_id", "breach_record_invalid",
                              "关联的记录不存在、不属于该主体，或不是违背信用承诺记录。")
    claimed = affected_rows(
        session,
        update(Commitment)
        .where(Commitment.id == commitment.id, Commitment.status == CommitmentStatus.ACTIVE)
        .values(status=status, closed_on=closed_on, close_note=note, breach_record_id=breach_record_id)
        .execution_options(synchronize_session=False),
    )
    if not claimed:
        session.refresh(commitment)
        raise Conflict("commitment_not_active",
                       f"该承诺已是“{COMMITMENT_STATUS_LABELS[commitment.status]}”状态，不能再次核查。")
    session.refresh(commitment)
    audit(session, actor, OUTCOMES[status], "commitment", commitment.id, subject_id=commitment.subject_id,
          closed_on=closed_on.isoformat(), breach_record_id=breach_record_id)
    subject_changed(session, [commitment.subject_id], OUTCOMES[status])
    if not via_queue and (item := queue.item_for(session, "commitment_followup", commitment.id)) is not None:
        queue.close_item(session, actor, item, "closed_elsewhere", f"已在承诺登记中核查为“{COMMITMENT_STATUS_LABELS[status]}”")
    return commitment


def search_commitments(
    session: Session,
    actor: Actor,
    *,
    commitment_type: str | None = None,
    status: str | None = None,
    lapsed: bool | None = None,
    subject_code: str | None = None,
    department_code: str | None = None,
    signed_from: date | None = None,
    signed_to: date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """Staff search, newest signature first; department reviewers see their own department's only.
    ``lapsed=True``: the queue of active commitments past their term, awaiting the department's check."""
    stmt = department_scoped(session, actor, select(Commitment), Commitment.department_id, department_code)
    if commitment_type:
        stmt = stmt.where(Commitment.type == CommitmentType(commitment_type))
    if status:
        stmt = stmt.where(Commitment.status == CommitmentStatus(status))
    if lapsed is not None:
        due = (Commitment.status == CommitmentStatus.ACTIVE) & (Commitment.valid_until < china_today())
        stmt = stmt.where(due if lapsed else ~due)
    if subject_code:
        stmt = stmt.where(Commitment.subject_id == (find_subject_id(session, subject_code) or -1))
    if signed_from:
        stmt = stmt.where(Commitment.signed_on >= signed_from)
    if signed_to:
        stmt = stmt.where(Commitment.signed_on <= signed_to)
    return paginate(session, stmt, Commitment.signed_on.desc(), Commitment.id.desc(), page=page, per_page=per_page)


LAPSED_LABEL = "期满待核查"  # still active past its term: the department has not closed it yet


def commitment_view(c, department: str | None, today: date) -> dict:
    """What the card shows of a commitment (a row with the commitment's columns, or a model)."""
    ctype, status = CommitmentType(c.type), CommitmentStatus(c.status)
    lapsed = status is CommitmentStatus.ACTIVE and c.valid_until is not None and c.valid_until < today
    return {
        "id": c.id, "type": ctype.value, "type_label": COMMITMENT_TYPE_LABELS[ctype], "matter": c.matter,
        "signed_on": c.signed_on.isoformat(), "valid_until": c.valid_until.isoformat() if c.valid_until else None,
        "status": status.value, "status_label": LAPSED_LABEL if lapsed else COMMITMENT_STATUS_LABELS[status],
        "department": department, "public": ctype in PUBLIC_TYPES,
    }

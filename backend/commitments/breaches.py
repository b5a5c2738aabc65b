"""Recording a breach of a commitment (违诺认定) in one action (事中事后监管, seed 二(一)).

Staff give the decision (文书号, date, severity, what happened); this creates the 违背信用承诺 credit
record through the records service, closes the commitment as breached linked to that record, and
lists the subject 重点关注 (重点监管对象) with the commitment as basis through the lists service. Each
of those services audits itself and calls ``subject_changed``, so the grade follows on the next
read. All in the caller's one transaction: a refusal by any of them leaves nothing behind.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from backend.commitments.models import COMMITMENT_STATUS_LABELS, Commitment, CommitmentStatus
from backend.commitments.services import WRITE_ROLES, close_commitment, view_commitment
from backend.common.actor import Actor
from backend.common.clock import china_today
from backend.lists.models import ListEntry, ListType
from backend.lists.services import add_list_entry
from backend.platform.errors import Conflict
from backend.records.models import CreditRecord, RecordKind
from backend.records.services import submit_record
from backend.staff.models import Department
from backend.staff.services import require_role
from backend.subjects.models import Firm, Person


def _subject_code(session: Session, subject_id: int) -> str:
    firm = session.get(Firm, subject_id)
    return firm.uscc if firm is not None else session.get(Person, subject_id).id_number


def record_breach(
    session: Session,
    actor: Actor,
    commitment_id: int,
    *,
    decision_no: str,
    note: str,
    decision_date: date | None = None,
    severity: str = "general",
    via_queue: bool = False,
) -> tuple[Commitment, CreditRecord, ListEntry | None]:
    """Find an active commitment breached: the record, the closing and the 重点关注 entry.
    The entry is None when the subject is already on the 重点关注 list (it stays as it is).
    ``via_queue``: called as the 承诺履约核查 item's decision (see ``close_commitment``)."""
    require_role(actor, WRITE_ROLES, "您的岗位没有认定违诺的权限。")
    commitment = view_commitment(session, actor, commitment_id)
    if commitment.status is not CommitmentStatus.ACTIVE:
        raise Conflict("commitment_not_active",
                       f"该承诺已是“{COMMITMENT_STATUS_LABELS[commitment.status]}”状态，不能认定违诺。")
    decided = decision_date or china_today()
    code = _subject_code(session, commitment.subject_id)
    dept = session.get(Department, commitment.department_id)
    basis = f"《信用承诺书》{commitment.document_no or ''}（{commitment.matter}）"
    record = submit_record(session, actor, {
        "subject_code": code, "kind": RecordKind.COMMITMENT_BREACH.value, "severity": severity,
        "decision_no": decision_no, "decision_date": decided.isoformat(),
        "title": f"违背信用承诺：{commitment.matter}"[:200], "summary": note, "legal_basis": basis,
        "department_code": dept.code,
    })
    commitment = close_commitment(session, actor, commitment.id, outcome=CommitmentStatus.BREACHED, note=note,
                                  closed_on=decided, breach_record_id=record.id, via_queue=via_queue)
    try:
        with session.begin_nested():
            entry = add_list_entry(
                session, actor, subject_code=code, list_type=ListType.WATCH, reason=f"违背信用承诺：{commitment.matter}",
                listed_on=decided, legal_basis=basis, decision_no=record.decision_no, record_id=record.id,
                department_code=dept.code,
            )
    except Conflict:  # already a 重点关注 subject: the breach record and the closing still stand
        entry = None
    return commitment, record, entry

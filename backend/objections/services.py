"""异议申诉 services for the applicant: file, complete, follow (mini-program and bot call these).

Who may file: the person the record is about, or for a firm's record its legal representative or
an approved agent (:func:`backend.subjects.agency.can_act_for_firm`, the rule of the firm card).
Anyone else — and a record id that does not exist — gets the same 403 ``record_not_accessible``,
so ids reveal nothing. From filing, the record is 异议中 (``RecordStatus.OBJECTED``) everywhere it is
shown; the rules file's ``count_while_objected`` decides whether it counts meanwhile. The staff side
is the queue (kind ``objection``, :mod:`backend.objections.flow`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.text import clean_text, field_error
from backend.objections.models import GROUND_LABELS, Ground, Objection, ObjectionStatus
from backend.platform.errors import Conflict, Forbidden, NotFound
from backend.queues import services as queue
from backend.records.models import CreditRecord, RecordStatus
from backend.records.services import change_status
from backend.subjects.agency import may_act_for_subject
from backend.subjects.services import require_identity
from backend.uploads.models import Upload
from backend.uploads.services import MAX_PER_OBJECTION, claim_uploads

STATEMENT_MAX = 2000
# 《异议申诉信用承诺书》: what the applicant acknowledges (the version is kept with the objection).
PROMISE_VERSION = "objection-promise-2026-12"
PROMISE_TEXT = (
    "本人（本单位）郑重承诺：所提交的异议申请及证明材料真实、准确、完整，不存在虚构事实、伪造材料等情形；"
    "如有不实，愿意承担相应的法律责任，并同意将虚假申诉行为记入信用记录。"
)


def _not_accessible() -> Forbidden:
    return Forbidden("record_not_accessible", "您只能对本人或您可代为办理的企业的信用信息提出异议。")


def accessible_record(session: Session, actor: Actor, record_id: int) -> CreditRecord:
    """The current record ``record_id`` if it is the actor's or a firm's they act for; else the same
    403 as for an id that does not exist."""
    require_identity(actor, "请先完成实名认证，再提出异议。")
    record = session.get(CreditRecord, record_id) if record_id and 0 < record_id < 2**31 else None
    if record is None or not may_act_for_subject(session, actor, record.subject_id):
        raise _not_accessible()
    return record


def file_objection(session: Session, actor: Actor, *, record_id: int, ground: str, statement: str,
                   promise_acknowledged: bool, evidence_upload_ids: list[int] | None = None,
                   today: date | None = None) -> Objection:
    """File an objection (提出异议) against one current record: the record becomes 异议中 and the
    credit office has 2 working days to accept it. Refusals: ``record_not_accessible`` (403),
    ``ground_invalid``, ``statement_required``, ``promise_required``, ``upload_invalid``,
    ``too_many_files`` (422), ``objection_open`` and ``record_not_objectable`` (409)."""
    person_id = require_identity(actor, "请先完成实名认证，再提出异议。")
    try:
        ground = Ground(ground)
    except ValueError:
        raise field_error("ground", "ground_invalid", "异议理由应为：" + "、".join(GROUND_LABELS.values()) + "。") from None
    statement = clean_text(statement, "statement", "异议说明", True, STATEMENT_MAX)
    if promise_acknowledged is not True:
        raise field_error("promise_acknowledged", "promise_required", "请阅读并确认《异议申诉信用承诺书》。")
    record = accessible_record(session, actor, record_id)
    # Serialise filings on one record: the second waits here, then finds the open objection.
    session.execute(select(CreditRecord.id).where(CreditRecord.id == record.id).with_for_update())
    session.refresh(record)
    open_one = session.execute(
        select(Objection.id).where(Objection.record_id == record.id, Objection.is_open.is_(True))
    ).first()
    if open_one is not None or record.status == RecordStatus.OBJECTED:
        raise Conflict("objection_open", "这条信息已有正在处理的异议，请等待处理结果。")
    if not record.is_current or record.status != RecordStatus.PUBLICIZING:
        raise Conflict("record_not_objectable", "这条信息已更正、撤销、修复或停止公示，无需再提出异议。")
    objection = Objection(record_id=record.id, subject_id=record.subject_id, account_id=actor.id,
                          person_id=person_id, ground=ground, statement=statement,
                          promise_version=PROMISE_VERSION, status=ObjectionStatus.SUBMITTED, is_open=True)
    try:
        with session.begin_nested():
            session.add(objection)
            session.flush()
    except IntegrityError:
        raise Conflict("objection_open", "这条信息已有正在处理的异议，请等待处理结果。") from None
    claim_uploads(session, actor, evidence_upload_ids or [], f"objection:{objection.id}")
    change_status(session, actor, record, RecordStatus.OBJECTED, "主体提出异议")  # rescored after commit
    queue.open_item(session, actor, kind="objection", ref_id=objection.id, subject_id=record.subject_id,
                    department_id=queue.credit_office_id(session), start=today)
    audit(session, actor, "objection.file", "objection", objection.id, record_id=record.id,
          ground=ground.value, evidence=len(evidence_upload_ids or []))
    return objection


def _own(session: Session, actor: Actor, objection_id: int) -> Objection:
    person_id = require_identity(actor, "请先完成实名认证。")
    objection = session.get(Objection, objection_id) if 0 < objection_id < 2**31 else None
    # Filed by me, and I still act for its subject: a firm's former agent no longer follows or completes it.
    if objection is None or objection.person_id != person_id or not may_act_for_subject(session, actor, objection.subject_id):
        raise NotFound("objection_not_found", "没有找到该异议申请。")
    return objection


def get_own_objection(session: Session, actor: Actor, objection_id: int) -> Objection:
    """One of the caller's objections (someone else's: 404 like a missing id)."""
    return _own(session, actor, objection_id)


def list_own_objections(session: Session, actor: Actor) -> list[Objection]:
    """The caller's objections, newest first (those on a firm they no longer act for left out)."""
    person_id = require_identity(actor, "请先完成实名认证。")
    rows = list(session.execute(
        select(Objection).where(Objection.person_id == person_id).order_by(Objection.created_at.desc(), Objection.id.desc())
    ).scalars())
    allowed = {sid: may_act_for_subject(session, actor, sid) for sid in {o.subject_id for o in rows}}
    return [o for o in rows if allowed[o.subject_id]]


def complete_objection(session: Session, actor: Actor, objection_id: int, *, evidence_upload_ids: list[int],
                       statement: str | None = None, today: date | None = None) -> Objection:
    """补正材料: after a refusal for 材料不全 the applicant adds files (and text); the credit office's
    2 working days to accept start again."""
    objection = _own(session, actor, objection_id)
    if objection.status != ObjectionStatus.INCOMPLETE:
        raise Conflict("objection_not_incomplete", "该异议申请目前不需要补充材料。")
    addendum = clean_text(statement, "statement", "补充说明", False, STATEMENT_MAX)
    if not evidence_upload_ids and not addendum:
        raise field_error("evidence_upload_ids", "supplement_required", "请上传补充的证明材料或填写补充说明。")
    used = session.execute(select(Upload.id).where(Upload.attached_to == f"objection:{objection.id}")).all()
    if len(used) + len(set(evidence_upload_ids)) > MAX_PER_OBJECTION:
        raise field_error("evidence_upload_ids", "too_many_files", "证明材料合计最多10个文件。")
    claim_uploads(session, actor, evidence_upload_ids, f"objection:{objection.id}")
    if addendum:
        objection.statement = f"{objection.statement}\n【补充说明】{addendum}"[: STATEMENT_MAX * 2]
    objection.status = ObjectionStatus.SUBMITTED
    item = queue.item_for(session, "objection", objection.id)
    assert item is not None, "every objection has its queue item from filing on"
    queue.move_item(session, actor, item, "pending", action="supplement", note="申请人补充了材料", today=today)
    audit(session, actor, "objection.complete", "objection", objection.id, evidence=len(evidence_upload_ids))
    return objection

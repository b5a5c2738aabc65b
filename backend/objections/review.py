"""What staff read of an objection: the filing, its evidence files (each view audited), and the
queue kind's ``describe`` hook (the console's detail page)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.crypto import mask_id_number, mask_name
from backend.objections.models import (
    GROUND_LABELS,
    REFUSE_LABELS,
    STATUS_LABELS,
    Ground,
    Objection,
    ObjectionStatus,
    RefuseReason,
)
from backend.platform.errors import NotFound
from backend.queues import services as queue
from backend.queues.kinds import ItemDescription
from backend.queues.models import QueueItem
from backend.subjects.models import Person
from backend.uploads.models import Upload


def _not_found() -> NotFound:
    return NotFound("objection_not_found", "没有找到该异议申请。")


def staff_objection(session: Session, actor: Actor, objection_id: int) -> Objection:
    """An objection whose queue item the actor may see (the credit office, auditors, the department
    it is routed to); otherwise 404 like a missing id."""
    objection = session.get(Objection, objection_id)
    item = queue.item_for(session, "objection", objection_id) if objection is not None else None
    if item is None:
        raise _not_found()
    queue.get_item(session, actor, item.id)  # role and department scope
    return objection


def staff_evidence(session: Session, actor: Actor, objection_id: int, upload_id: int) -> Upload:
    """One evidence file of an objection the actor may see. Evidence may show personal data: every
    view is in the audit chain."""
    objection = staff_objection(session, actor, objection_id)
    upload = session.execute(
        select(Upload).where(Upload.id == upload_id, Upload.attached_to == f"objection:{objection.id}")
    ).scalar()
    if upload is None:
        raise NotFound("upload_not_found", "没有找到该材料。")
    audit(session, actor, "upload.view", "upload", upload.id, objection_id=objection.id)
    return upload


def describe_item(session: Session, actor: Actor, item: QueueItem) -> ItemDescription:
    """The ``describe`` hook of kind ``objection``: what a reviewer reads on the console's detail
    page — ground, statement, the applicant (masked), the record objected to (and its corrected
    version once there is one) and the evidence files filed with it."""
    objection = session.get(Objection, item.ref_id)
    if objection is None:
        return ItemDescription()
    applicant = session.get(Person, objection.person_id)
    facts: list[tuple[str, str]] = [
        ("异议理由", GROUND_LABELS[Ground(objection.ground)]),
        ("申请说明", objection.statement),
        ("申请人", mask_name(applicant.name) if applicant else "—"),
        ("申请人证件号", mask_id_number(applicant.id_number) if applicant else "—"),
        ("申请状态", STATUS_LABELS[ObjectionStatus(objection.status)]),
    ]
    if objection.refuse_reason:
        facts.append(("不予受理原因", REFUSE_LABELS[RefuseReason(objection.refuse_reason)]))
    if objection.decision_reason:
        facts.append(("办理结论", objection.decision_reason))
    if objection.remedy:
        facts.append(("消除不良影响", objection.remedy))
    uploads = session.execute(
        select(Upload.id).where(Upload.attached_to == f"objection:{objection.id}").order_by(Upload.id)
    ).scalars()
    records = (objection.record_id, *((objection.new_record_id,) if objection.new_record_id else ()))
    return ItemDescription(facts=tuple(facts), record_ids=records, upload_ids=tuple(uploads))

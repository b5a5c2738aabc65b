"""What staff read of an objection: the filing, its evidence files (each view audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.objections.models import Objection
from backend.platform.errors import NotFound
from backend.queues import services as queue
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

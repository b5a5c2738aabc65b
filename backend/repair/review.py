"""What staff read of a repair application: the filing and its proof files (each view audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.errors import NotFound
from backend.queues import services as queue
from backend.repair.models import RepairApplication
from backend.uploads.models import Upload


def staff_repair(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    """An application whose queue item the actor may see (the credit office, auditors, the deciding
    department); otherwise 404 like a missing id."""
    app = session.get(RepairApplication, application_id)
    item = queue.item_for(session, "repair", application_id) if app is not None else None
    if item is None:
        raise NotFound("repair_not_found", "没有找到该信用修复申请。")
    queue.get_item(session, actor, item.id)  # role and department scope
    return app


def staff_proof(session: Session, actor: Actor, application_id: int, upload_id: int) -> Upload:
    """One proof file of an application the actor may see; every view is in the audit chain."""
    app = staff_repair(session, actor, application_id)
    upload = session.execute(
        select(Upload).where(Upload.id == upload_id, Upload.attached_to == f"repair:{app.id}")
    ).scalar()
    if upload is None:
        raise NotFound("upload_not_found", "没有找到该材料。")
    audit(session, actor, "upload.view", "upload", upload.id, repair_id=app.id)
    return upload

"""Reading the audit log (审计日志) for auditors: search by actor, subject, action and date.

The chain itself (hashing, verification) is ``backend.common.audit``; this module only reads rows,
for the auditor role (审计员) alone — the people whose actions are logged do not browse the log.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.clock import china_days
from backend.common.models import AuditEntry
from backend.common.paging import Page, paginate
from backend.staff.models import Role
from backend.staff.services import require_role

AUDIT_READERS = (Role.AUDITOR,)


def require_audit_reader(actor: Actor) -> None:
    """Only auditors read the audit log (403 ``role_forbidden``)."""
    require_role(actor, AUDIT_READERS, "审计日志仅限审计员查看。")


def search_audit(
    session: Session,
    actor: Actor,
    *,
    actor_ref: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Audit rows matching the filters, newest first. ``actor_ref`` is ``staff:3`` / ``account:17`` /
    ``system``; ``action`` matches a prefix (``record.`` finds every record action); dates are
    China calendar days, both ends included."""
    require_audit_reader(actor)
    stmt = select(AuditEntry)
    if actor_ref:
        stmt = stmt.where(AuditEntry.actor == actor_ref.strip()[:64])
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type.strip()[:40])
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id.strip()[:64])
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action.strip()[:64], autoescape=True))
    stmt = stmt.where(*china_days(AuditEntry.at, date_from, date_to))
    return paginate(session, stmt, AuditEntry.id.desc(), page=page, per_page=per_page)


def get_entry(session: Session, actor: Actor, entry_id: int) -> AuditEntry | None:
    require_audit_reader(actor)
    return session.get(AuditEntry, entry_id)

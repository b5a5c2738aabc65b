"""The hash-chained audit log: every state change and every staff view of unmasked personal data.

Each row stores ``prev_hash`` and ``hash = sha256(prev_hash | canonical JSON of the row)``. Rows are
only ever appended; :func:`verify_chain` walks the chain and reports the first row that does not fit.
Appends are serialised (a row lock on PostgreSQL) so two writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.db import utcnow

GENESIS = "0" * 64


def _canonical(prev_hash: str, at: datetime, actor: str, action: str, target_type, target_id, details, ip) -> bytes:
    body = {
        "prev": prev_hash,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "details": details,
        "ip": ip,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(
        _canonical(entry.prev_hash, entry.at, entry.actor, entry.action, entry.target_type, entry.target_id,
                   entry.details, entry.ip)
    ).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Transaction-scoped advisory lock: appends from concurrent requests queue up here.
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))


def audit(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    **details: object,
) -> AuditEntry:
    """Append one audit row (flushes). ``details`` must not contain plaintext personal data."""
    _lock_chain(session)
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.ref,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=json.loads(json.dumps(details, default=str, ensure_ascii=False)),
        ip=actor.ip,
        prev_hash=prev or GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; report the first row whose hash or link is wrong.

    Reads plain column tuples in batches (keyset pagination), so it neither fills nor clears the
    caller's identity map.
    """
    cols = (AuditEntry.id, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.at, AuditEntry.actor,
            AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.details, AuditEntry.ip)
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(select(*cols).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return ChainReport(checked, None, None)
        for row_id, prev_hash, stored_hash, at, actor, action, target_type, target_id, details, ip in rows:
            if prev_hash != prev:
                return ChainReport(checked, row_id, "link to the previous row is broken (row removed or reordered)")
            computed = hashlib.sha256(
                _canonical(prev_hash, at, actor, action, target_type, target_id, details, ip)
            ).hexdigest()
            if computed != stored_hash:
                return ChainReport(checked, row_id, "row content does not match its hash (row altered)")
            prev = stored_hash
            checked += 1
            last_id = row_id

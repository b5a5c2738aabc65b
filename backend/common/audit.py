"""The MAC-chained audit log: every state change and every staff view of unmasked personal data.

Each row stores ``prev_hash``, ``key_id`` and ``hash = HMAC-SHA256(AUDIT_KEYS[key_id], prev_hash |
canonical JSON of the row)``. Rows are only ever appended; :func:`verify_chain` walks the chain and
reports the first row that does not fit. Appends are serialised (a row lock on PostgreSQL) so two
writers cannot fork the chain.

Why a keyed MAC: with a plain hash anyone who can write to the database can edit a row and
recompute every later link with this very module. Without the key (kept in the environment, like
the PII keys) they cannot. What a MAC alone cannot show — the last rows deleted — the signed
checkpoints of backend/common/audit_checkpoints.py catch. Keys rotate: a new ``AUDIT_ACTIVE_KEY``
signs new rows, older key ids stay listed in ``AUDIT_KEYS`` to verify old ones.

Rows from before migration 0009 have no key id and a plain SHA-256 link; they are accepted only
before the first keyed row (whose MAC covers their head).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.db import utcnow

if TYPE_CHECKING:
    from backend.common.audit_checkpoints import Checkpoint

GENESIS = "0" * 64
PII_VIEW = "pii.view"  # staff saw unmasked personal data (see audit_pii_view)


@dataclass
class AuditKeys:
    keys: dict[str, bytes]
    active: str


_keys: AuditKeys | None = None


def configure(keys: dict[str, bytes], active: str) -> AuditKeys:
    """Install the audit MAC keys (the app does this from ``AUDIT_KEYS`` / ``AUDIT_ACTIVE_KEY``)."""
    global _keys
    if active not in keys:
        raise ValueError(f"active audit key {active!r} is not among the keys")
    _keys = AuditKeys(dict(keys), active)
    return _keys


def audit_keys() -> AuditKeys:
    if _keys is None:
        raise RuntimeError("audit keys are not configured (backend.common.audit.configure)")
    return _keys


def _canonical(prev_hash: str, at: datetime, actor: str, action: str, target_type: str | None,
               target_id: str | int | None, details: Any, ip: str | None, key_id: str | None = None) -> bytes:
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
    if key_id is not None:
        body["kid"] = key_id  # the key id is covered too: a row cannot be re-labelled to another key
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def mac(key_id: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under audit key ``key_id`` (hex). KeyError for an unknown key id."""
    return hmac.new(audit_keys().keys[key_id], message, hashlib.sha256).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """The link ``entry`` must carry: its MAC under ``entry.key_id`` (legacy rows: plain SHA-256)."""
    body = _canonical(entry.prev_hash, entry.at, entry.actor, entry.action, entry.target_type, entry.target_id,
                      entry.details, entry.ip, entry.key_id)
    return hashlib.sha256(body).hexdigest() if entry.key_id is None else mac(entry.key_id, body)


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
        key_id=audit_keys().active,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def audit_pii_view(
    session: Session, actor: Actor, subject_type: str, subject_id: object, fields: Sequence[str], *, purpose: str = ""
) -> AuditEntry | None:
    """Record that staff saw a subject's unmasked personal data (``pii.view``): which fields, of whom.

    For the staff console's views that show a full ID number, name or phone. The owner looking at
    their own data (``GET me?reveal=true``) is not audited, by design: it is their data, and an
    audit row per look would only be noise. Returns None (nothing written) for non-staff actors.
    ``fields`` names the fields shown (``["id_number", "name"]``), never their values.
    """
    if not actor.is_staff:
        return None
    details: dict[str, object] = {"fields": sorted(set(fields))}
    if purpose:
        details["purpose"] = purpose
    return audit(session, actor, PII_VIEW, subject_type, subject_id, **details)


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None
    problem: str | None
    checkpoints: int = 0  # checkpoints the chain was checked against

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, batch: int = 5000, checkpoints: Sequence[Checkpoint] = ()) -> ChainReport:
    """Walk the whole chain in id order; report the first row whose MAC or link is wrong.

    With ``checkpoints`` (signed heads written earlier, see backend/common/audit_checkpoints.py) it
    also reports rows deleted at the end (truncation) and a head that no longer matches (a rewritten
    tail, even one recomputed with the key). Reads plain column tuples in batches (keyset
    pagination), so it neither fills nor clears the caller's identity map.
    """
    cols = (AuditEntry.id, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.at, AuditEntry.actor,
            AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.details, AuditEntry.ip,
            AuditEntry.key_id)
    anchors = sorted(checkpoints, key=lambda c: c.last_id)
    keys = audit_keys().keys
    prev = GENESIS
    checked = 0
    last_id = 0
    keyed_seen = False
    good_until = 0  # the last row a checkpoint vouched for
    suspect_from: int | None = None  # the first row after it
    pending = 0  # index of the next checkpoint to meet
    while True:
        rows = session.execute(select(*cols).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            break
        for row_id, prev_hash, stored_hash, at, actor, action, target_type, target_id, details, ip, key_id in rows:
            if suspect_from is None:
                suspect_from = row_id
            if prev_hash != prev:
                return ChainReport(checked, row_id, "link to the previous row is broken (row removed or reordered)", pending)
            body = _canonical(prev_hash, at, actor, action, target_type, target_id, details, ip, key_id)
            if key_id is None:
                if keyed_seen:
                    return ChainReport(checked, row_id, "row has no key id after keyed rows (row altered)", pending)
                computed = hashlib.sha256(body).hexdigest()
            elif key_id not in keys:
                return ChainReport(checked, row_id, f"row is signed with key id {key_id!r}, which AUDIT_KEYS does not list", pending)
            else:
                keyed_seen = True
                computed = hmac.new(keys[key_id], body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(computed, stored_hash):
                return ChainReport(checked, row_id, "row content does not match its MAC (row altered)", pending)
            if pending < len(anchors) and anchors[pending].last_id < row_id:
                cp = anchors[pending]
                return ChainReport(checked, row_id, f"row {cp.last_id}, the head of the checkpoint of {cp.at}, "
                                   "is missing", pending)
            if pending < len(anchors) and anchors[pending].last_id == row_id:
                cp = anchors[pending]
                if cp.head != stored_hash or cp.rows != checked + 1:
                    return ChainReport(checked, suspect_from,
                                       f"rows up to {row_id} differ from the checkpoint of {cp.at} "
                                       f"(rewritten after row {good_until or 'the start'})", pending)
                while pending < len(anchors) and anchors[pending].last_id == row_id:
                    pending += 1
                good_until, suspect_from = row_id, None
            prev = stored_hash
            checked += 1
            last_id = row_id
    if pending < len(anchors):
        cp = anchors[-1]
        return ChainReport(checked, last_id + 1,
                           f"rows after {last_id or 'the start'} are missing (truncated): the checkpoint of {cp.at} "
                           f"recorded {cp.rows} rows up to row {cp.last_id}", pending)
    return ChainReport(checked, None, None, pending)

"""Signed checkpoints of the audit chain's head, kept where the database writer cannot reach.

A MAC chain shows an edited row, but not rows deleted at the end: the remaining chain is still
valid. So every hour a job (``audit-checkpoint`` in backend/platform/schedule.py, or
``flask audit checkpoint``) writes the chain's state — row count, last id, head MAC, time — signed
with the active audit key, as one JSON line appended to ``AUDIT_CHECKPOINT_FILE`` (default
``instance/audit-checkpoints.jsonl``, opened append-only) and to the log stream (logger
``backend.common.audit_checkpoints``; ship it off the machine). ``flask audit verify`` checks the
chain against every checkpoint: a head missing or different is reported.

MACs in a checkpoint line are base64url, not hex: a log line with a long run of digits would be
masked as a possible ID number (backend/common/privacy.py).

Limits, by design: rows appended and deleted between two checkpoints (within the hour) are not
caught by the file; the log stream's copy shows when checkpoints are missing or were removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.common.audit import audit_keys, mac
from backend.common.models import AuditEntry
from backend.platform.db import utcnow
from backend.platform.jobs import job

log = logging.getLogger(__name__)

_file: str = ""


def configure(checkpoint_file: str) -> None:
    """Where checkpoints go (the app does this from ``AUDIT_CHECKPOINT_FILE``; empty: nowhere)."""
    global _file
    _file = checkpoint_file


def checkpoint_file() -> str:
    return _file


class CheckpointError(ValueError):
    """A checkpoint line that is not well formed or whose signature does not match."""


@dataclass(frozen=True)
class Checkpoint:
    rows: int
    last_id: int
    head: str  # hex, as stored in audit_log.hash
    at: str  # ISO time (UTC) it was taken
    key_id: str

    def signed_body(self) -> bytes:
        body = {"rows": self.rows, "last_id": self.last_id, "head": _b64(self.head), "at": self.at,
                "kid": self.key_id}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_line(self) -> str:
        signature = _b64(mac(self.key_id, b"audit-checkpoint:" + self.signed_body()))
        return json.dumps({**json.loads(self.signed_body()), "sig": signature}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_line(cls, line: str) -> Checkpoint:
        try:
            data = json.loads(line)
            cp = cls(rows=int(data["rows"]), last_id=int(data["last_id"]), head=_unb64(data["head"]),
                     at=str(data["at"]), key_id=str(data["kid"]))
            signature = str(data["sig"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise CheckpointError(f"not a checkpoint line ({type(exc).__name__})") from None
        try:
            expected = _b64(mac(cp.key_id, b"audit-checkpoint:" + cp.signed_body()))
        except KeyError:
            raise CheckpointError(f"signed with key id {cp.key_id!r}, which AUDIT_KEYS does not list") from None
        if expected != signature:
            raise CheckpointError("signature does not match (the line was edited)")
        return cp


def _b64(hex_digest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()


def take_checkpoint(session: Session) -> Checkpoint | None:
    """The chain's state now (None while the chain is empty)."""
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return None
    rows = session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= last.id)).scalar_one()
    return Checkpoint(rows=rows, last_id=last.id, head=last.hash, at=utcnow().isoformat(timespec="seconds"),
                      key_id=audit_keys().active)


def write_checkpoint(session: Session, path: str | None = None) -> Checkpoint | None:
    """Append a signed checkpoint to the checkpoint file and the log; returns it (None: empty chain)."""
    cp = take_checkpoint(session)
    if cp is None:
        return None
    line = cp.to_line()
    target = path if path is not None else _file
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: every write lands at the end, whoever else has the file open; never rewritten.
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    log.info("audit checkpoint %s", line)
    return cp


def read_checkpoints(path: str | None = None) -> tuple[list[Checkpoint], list[str]]:
    """The valid checkpoints in the file, and a description of each line that is not (``line N: …``)."""
    target = path if path is not None else _file
    if not target or not os.path.exists(target):
        return [], []
    good: list[Checkpoint] = []
    bad: list[str] = []
    with open(target, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                good.append(Checkpoint.from_line(line))
            except CheckpointError as exc:
                bad.append(f"line {number}: {exc}")
    return good, bad


@job
def write_audit_checkpoint(session: Session) -> int | None:
    """Periodic job (hourly): anchor the audit chain's head; returns the last row id covered."""
    cp = write_checkpoint(session)
    return cp.last_id if cp else None

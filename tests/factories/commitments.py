"""Commitments factory: a signed commitment (信用承诺) inserted directly."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from backend.commitments.models import Commitment


def make_commitment(
    db: Session,
    subject_id: int,
    *,
    department_id: int,
    status: str = "kept",
    signed: date = date(2025, 6, 1),
    closed: date | None = date(2025, 12, 1),
    commitment_type: str = "disclosure",
) -> Commitment:
    """A commitment signed on ``signed``; closed on ``closed`` unless still active (履约中)."""
    c = Commitment(
        subject_id=subject_id, type=commitment_type, department_id=department_id, matter="测试承诺事项",
        content="测试承诺内容", signed_on=signed, status=status, closed_on=closed if status != "active" else None,
    )
    db.add(c)
    db.flush()
    return c

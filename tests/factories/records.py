"""Records factory: a credit record inserted directly with the columns the card and the engine read
(the records services and their rules are tested through the API)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from backend.records.models import CreditRecord
from tests.factories.sequence import next_n


def make_record(
    db: Session,
    subject_id: int,
    kind: str = "admin_penalty",
    *,
    department_id: int,
    decided: date,
    polarity: str = "negative",
    severity: str | None = "general",
    status: str = "publicizing",
    min_days: int | None = 90,
    max_days: int | None = 365,
    is_current: bool = True,
    title: str = "测试记录",
    decision_prefix: str = "淮区测",
) -> CreditRecord:
    """A record decided on ``decided``, publicized from that day for ``min_days``..``max_days``."""
    rec = CreditRecord(
        subject_id=subject_id, kind=kind, polarity=polarity, department_id=department_id,
        decision_no=f"{decision_prefix}〔2026〕{next_n()}号", decision_date=decided, title=title, severity=severity,
        publicity_start=decided, publish_deadline=decided + timedelta(days=9),
        publicity_min_end=decided + timedelta(days=min_days) if min_days is not None else None,
        publicity_max_end=decided + timedelta(days=max_days) if max_days is not None else None,
        rule_version="test", status=status, is_current=is_current,
    )
    db.add(rec)
    db.flush()
    return rec

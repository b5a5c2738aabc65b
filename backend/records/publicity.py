"""Whether a record is public (公示) on a given day — the one place that decides it — and the
changes that move a record's publication: a department's publication by exception, and the
nightly step that brings records decided under an earlier rule set to the more favourable rule.

Every public surface (the public card, shared cards, counts and reasons on them, and any later
public list of records) asks :func:`is_public_on`; the owner's own card shows a withheld record
with :data:`NOT_PUBLISHED_LABEL`.

Sources: 国家发展改革委令2025年第36号 and 国办发〔2025〕22号 (轻微失信信息 原则上不予公示; where a department
publishes one, at most 3 months); 总局令第107号 (警告 not published); 从旧兼从轻 where a record straddles
a change of rules (see :mod:`backend.records.rules`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.text import clean_text
from backend.platform.errors import Conflict
from backend.records.models import JUDICIAL_KINDS, CreditRecord, Polarity, RecordEvent, RecordStatus
from backend.records.rules import (
    EXCEPTION_MAX_MONTHS,
    GENERAL,
    MARKET_REGULATION,
    Publication,
    add_months,
    family_of_department,
    is_warning_only,
    publicity_window,
    rule_set_on,
)
from backend.staff.models import Department
from backend.subjects.changes import subject_changed

NOT_PUBLISHED_LABEL = "不公示"
REFRESH_CHUNK = 2000


def withheld(row: Any) -> bool:
    """True when the rules keep the record from the public: 警告 (never), or 轻微 information
    (原则上不予公示) that its department has not published by exception."""
    publication = getattr(row, "publication", None) or Publication.PUBLIC
    if publication == Publication.NEVER:
        return True
    return publication == Publication.WITHHELD and not getattr(row, "publication_basis", None)


def is_public_on(row: Any, day: date, *, while_objected: bool = False) -> bool:
    """Is this record public on ``day``? ``row``: anything with the record's ``status``,
    ``publicity_start``, ``publicity_max_end``, ``publication`` and ``publication_basis``.

    Public = 公示中, inside its window, not withheld; a withheld record published by exception
    is public for at most :data:`EXCEPTION_MAX_MONTHS` months from the start of its window.
    ``while_objected``: would a record under objection (异议中) be public if it were not? Such a
    record is shown publicly with that marker, not as 公示中, until the objection is decided.
    """
    status = RecordStatus.PUBLICIZING if while_objected and row.status == RecordStatus.OBJECTED else row.status
    if status != RecordStatus.PUBLICIZING or row.publicity_start > day:
        return False
    if row.publicity_max_end is not None and row.publicity_max_end < day:
        return False
    if withheld(row):
        return False
    if getattr(row, "publication", None) == Publication.WITHHELD:
        return day <= add_months(row.publicity_start, EXCEPTION_MAX_MONTHS)
    return True


def window_for(kind, severity, decision_date: date, domain, polarity, *, department: Department | None,
               title: str | None, summary: str | None, amount_yuan: int | None, today: date):
    """The window a record gets today: its department's rule family, 警告 detection, 从旧兼从轻."""
    family = family_of_department(department.name, department.short_name) if department is not None else GENERAL
    warning = family == MARKET_REGULATION and is_warning_only(kind, title, summary, amount_yuan)
    return publicity_window(kind, severity, decision_date, domain, polarity, family=family, warning=warning,
                            as_of=today)


def publish_by_exception(session: Session, actor: Actor, record: CreditRecord, basis: str) -> CreditRecord:
    """A department publishes a withheld (轻微) record by exception, stating its basis (公示依据).

    The record is then public for at most 3 months from its decision. Refusals: ``basis_required``
    / ``basis_too_long`` / ``basis_invalid`` (422), ``publication_never`` (409, a 107号 警告), ``publication_not_withheld``
    (409, the record is published anyway). Callers check the department scope first.
    """
    basis = clean_text(basis, "basis", "例外公示的依据（法律、法规或部门规定的名称和条款）", True)
    if record.publication == Publication.NEVER:
        raise Conflict("publication_never", "依据《市场监督管理信用修复管理办法》，警告信息不予公示。")
    if record.publication != Publication.WITHHELD:
        raise Conflict("publication_not_withheld", "这条信息按规定正常公示，无需例外公示。")
    if not record.is_current:
        raise Conflict("record_not_current", "这条信息已有更新的版本。")
    before = record.publication_basis
    record.publication_basis = basis
    session.add(RecordEvent(record_id=record.id, from_status=record.status.value, to_status=record.status.value,
                            actor=actor.ref, note=f"例外公示（最长{EXCEPTION_MAX_MONTHS}个月），依据：{basis}"))
    session.flush()
    audit(session, actor, "record.publish_exception", "credit_record", record.id, replaced=before is not None)
    subject_changed(session, [record.subject_id], "record.publication")
    return record


def refresh_favourable_windows(session: Session, today: date, *, chunk: int = REFRESH_CHUNK) -> int:
    """Records in effect that were decided under an earlier rule set than the one now in force get
    the more favourable window (从旧兼从轻). Run before the expiry step; returns how many changed.

    Each record is compared once per rule set in force: afterwards its ``rule_version`` ends with
    ``>`` and the current set's version, so the next night selects nothing.
    """
    current = list({rs.version: rs for rs in (rule_set_on(today, family=f) for f in (GENERAL, MARKET_REGULATION))}.values())
    latest_switch = max(rs.effective_from for rs in current)
    done = or_(CreditRecord.rule_version.in_([rs.version for rs in current]),
               *[CreditRecord.rule_version.like(f"%>{rs.version}") for rs in current])
    due = and_(
        CreditRecord.is_current.is_(True),
        CreditRecord.status.in_((RecordStatus.PUBLICIZING, RecordStatus.OBJECTED)),
        CreditRecord.polarity == Polarity.NEGATIVE,
        CreditRecord.kind.not_in(JUDICIAL_KINDS),
        CreditRecord.decision_date < latest_switch,
        not_(done),
    )
    session.flush()
    changed: set[int] = set()
    total, last_id = 0, 0
    while True:
        rows = session.execute(
            select(CreditRecord, Department).join(Department, Department.id == CreditRecord.department_id)
            .where(due, CreditRecord.id > last_id).order_by(CreditRecord.id).limit(chunk)
        ).all()
        for rec, dept in rows:
            w = window_for(rec.kind, rec.severity, rec.decision_date, rec.domain, rec.polarity, department=dept,
                           title=rec.title, summary=rec.summary, amount_yuan=rec.amount_yuan, today=today)
            new = (w.min_end, w.max_end, w.rule_version, w.publication)
            if new != (rec.publicity_min_end, rec.publicity_max_end, rec.rule_version, rec.publication):
                rec.publicity_min_end, rec.publicity_max_end, rec.rule_version, rec.publication = new
                changed.add(rec.subject_id)
                total += 1
        session.flush()
        if len(rows) < chunk:
            break
        last_id = rows[-1][0].id
    if total:
        audit(session, SYSTEM, "record.favourable_rule", "credit_record", None, count=total, as_of=today.isoformat())
        subject_changed(session, changed, "record.favourable_rule")
    return total

"""Publication figures per department (公示时效): how many records each published, how many late.

A record is late when it went online after its deadline of 7 working days (``published_late``,
set at submission). Used by the staff console's dashboard and department pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.records.models import CreditRecord
from backend.staff.models import Department
from backend.staff.services import department_scoped


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    code: str
    short_name: str
    records: int
    late: int

    @property
    def on_time_rate(self) -> float | None:
        """Share of records published on time (None when the department published nothing)."""
        return None if not self.records else (self.records - self.late) / self.records


def publication_figures(session: Session, actor: Actor, *, since: datetime,
                        department_code: str | None = None) -> list[DepartmentFigures]:
    """Records first published since ``since`` (first versions only), per department the actor
    may see, by department code. Departments that publish nothing are left out."""
    late = func.sum(case((CreditRecord.published_late.is_(True), 1), else_=0))
    stmt = (
        select(Department.id, Department.code, Department.short_name, func.count(CreditRecord.id), late)
        .join(CreditRecord, CreditRecord.department_id == Department.id)
        .where(CreditRecord.created_at >= since, CreditRecord.version == 1)
        .group_by(Department.id, Department.code, Department.short_name)
    )
    stmt = department_scoped(session, actor, stmt, Department.id, department_code)
    rows = session.execute(stmt.order_by(Department.code)).all()
    return [DepartmentFigures(i, code, short, int(n or 0), int(lt or 0)) for i, code, short, n, lt in rows]

"""每月5日前报送: the month's 信用承诺登记表 and 违诺信息表 for the city, as XLSX in one format.

Seed 二(一): departments report "当月产生的各类承诺登记表及承诺书" to the district credit office by the
5th of the next month, and breaches "以统一格式表格". Both tables have the same columns
(:data:`COLUMNS`), one row per commitment:

- 登记表 (``registration``): commitments signed in the month, in (signed_on, id) order;
- 违诺信息表 (``breaches``): commitments found breached (closed_on) in the month, in (closed_on, id) order.

Only a month that has ended can be reported (a later one: 422 ``report_month_future``), and a report
of a month is reproducible: its rows depend only on what was signed or breached in that month, not
on today's status. Rows are streamed from the database (``yield_per``) into openpyxl's write-only
workbook, so memory stays bounded however many rows a month has. Persons appear masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from backend.commitments.models import (
    COMMITMENT_TYPE_LABELS,
    PUBLIC_TYPES,
    Commitment,
    CommitmentLetter,
    CommitmentStatus,
    CommitmentType,
)
from backend.common.actor import Actor
from backend.common.clock import china_today
from backend.common.crypto import mask_id_number, mask_name
from backend.common.text import field_error
from backend.records.models import CreditRecord
from backend.staff.models import Department, Role
from backend.staff.services import department_scoped, require_role
from backend.subjects.models import Firm, Person

TABLES = {"registration": "信用承诺登记表", "breaches": "违背信用承诺信息表"}
COLUMNS = ("序号", "承诺书编号", "承诺类型", "承诺事项", "主体类别", "主体名称", "主体代码", "登记部门", "签署日期",
           "承诺期限", "是否公示", "违诺认定日期", "违诺情况", "违诺记录文书号", "承诺书链接")
READ_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER, Role.AUDITOR)
STREAM_CHUNK = 2000
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str, today: date | None = None) -> date:
    """The first day of ``YYYY-MM``; only months that have ended (422 ``report_month_invalid`` /
    ``report_month_future``)."""
    m = _MONTH_RE.match(value or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise field_error("month", "report_month_invalid", "月份格式应为 YYYY-MM，例如 2026-11。")
    first = date(int(m.group(1)), int(m.group(2)), 1)
    today = today or china_today()
    if first >= today.replace(day=1):
        raise field_error("month", "report_month_future", "只能报送已经结束的月份（本月及以后的月份不能报送）。")
    return first


def previous_month(today: date | None = None) -> date:
    today = today or china_today()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def _next(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def _statement(table: str, first: date):
    end = _next(first)
    stmt = (
        select(Commitment.id, Commitment.document_no, Commitment.type, Commitment.matter, Commitment.signed_on,
               Commitment.valid_until, Commitment.closed_on, Commitment.close_note, Commitment.department_id,
               Firm.uscc, Firm.name.label("firm_name"), Person.name.label("person_name"),
               Person.id_number, Department.name.label("department"), CommitmentLetter.verify_code,
               CreditRecord.decision_no)
        .join(Department, Department.id == Commitment.department_id)
        .outerjoin(Firm, Firm.id == Commitment.subject_id)
        .outerjoin(Person, Person.id == Commitment.subject_id)
        .outerjoin(CommitmentLetter, CommitmentLetter.commitment_id == Commitment.id)
        .outerjoin(CreditRecord, CreditRecord.id == Commitment.breach_record_id)
    )
    if table == "registration":
        return stmt.where(Commitment.signed_on >= first, Commitment.signed_on < end), (Commitment.signed_on, Commitment.id)
    return (stmt.where(and_(Commitment.status == CommitmentStatus.BREACHED, Commitment.closed_on >= first,
                            Commitment.closed_on < end)), (Commitment.closed_on, Commitment.id))


def _check(actor: Actor, table: str) -> None:
    require_role(actor, READ_ROLES, "您的岗位不能下载信用承诺报表。")
    if table not in TABLES:
        raise field_error("table", "report_table_invalid", "报表应为 registration（登记表）或 breaches（违诺信息表）。")


def report_rows(session: Session, actor: Actor, table: str, first: date, base_url: str = "") -> Iterator[tuple]:
    """The rows of ``table`` for the month starting ``first``, streamed; department reviewers get
    their own department's."""
    _check(actor, table)
    stmt, order = _statement(table, first)
    stmt = department_scoped(session, actor, stmt, Commitment.department_id).order_by(*order)
    base = base_url.rstrip("/")
    breaches = table == "breaches"
    result = session.execute(stmt.execution_options(yield_per=STREAM_CHUNK))
    for n, r in enumerate(result, start=1):
        is_firm = r.uscc is not None
        link = (f"{base}/public/v1/commitments/verify/{r.verify_code}" if r.verify_code
                else f"{base}/staff/v1/commitments/{r.id}")
        yield (
            n, r.document_no, COMMITMENT_TYPE_LABELS[CommitmentType(r.type)], r.matter,
            "法人和其他组织" if is_firm else "自然人",
            r.firm_name if is_firm else mask_name(r.person_name),
            r.uscc if is_firm else mask_id_number(r.id_number),
            r.department, r.signed_on.isoformat(), r.valid_until.isoformat() if r.valid_until else "长期",
            "是" if CommitmentType(r.type) in PUBLIC_TYPES else "否",
            # None, not "": write-only mode writes no cell at all for None (less XML per row)
            r.closed_on.isoformat() if breaches and r.closed_on else None,
            r.close_note if breaches else None, r.decision_no if breaches else None, link,
        )


def write_report(session: Session, actor: Actor, table: str, first: date, target, *, base_url: str = "") -> int:
    """Write ``table`` of the month to ``target`` (a path or a binary file) as XLSX; the row count."""
    from openpyxl import Workbook

    _check(actor, table)  # before the workbook: a refusal leaves no half-written sheet behind
    book = Workbook(write_only=True)
    # Fixed document times: the same month's report is the same document whenever it is made.
    book.properties.created = book.properties.modified = datetime(first.year, first.month, 1)
    sheet = book.create_sheet(TABLES[table])
    sheet.append([f"{TABLES[table]}（{first.year}年{first.month}月）"])
    sheet.append(list(COLUMNS))
    count = 0
    for row in report_rows(session, actor, table, first, base_url):
        sheet.append(row)
        count += 1
    book.save(target)
    return count


def report_filename(table: str, first: date) -> str:
    return f"commitments-{first:%Y-%m}-{table}.xlsx"


def write_month(session: Session, actor: Actor, first: date, directory: str | Path, *, base_url: str = "") -> dict:
    """Both tables of the month into ``directory``; ``{table: (path, rows)}``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for table in TABLES:
        path = folder / report_filename(table, first)
        out[table] = (path, write_report(session, actor, table, first, path, base_url=base_url))
    return out

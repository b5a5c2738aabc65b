"""Checking one submitted credit record (信用信息) — shared by the single and the batch submission.

:class:`RowChecker` turns a raw row (JSON object or CSV line, English or Chinese keys, codes and
dates as text) into a :class:`CleanRecord`, or raises a :class:`~backend.platform.errors.DomainError` whose
``errors`` name the field. It does no per-row queries: subject ids are resolved in bulk beforehand
and departments are cached, so the batch import can check 10,000 rows quickly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.clock import china_today
from backend.common.ids import normalize_code, parse_subject_code
from backend.common.privacy import mask_personal
from backend.platform.errors import DomainError, Forbidden, ValidationFailed
from backend.records.models import (
    JUDICIAL_KINDS,
    RECORD_KIND_LABELS,
    SEVERITY_LABELS,
    Polarity,
    RecordKind,
    Severity,
)
from backend.records.rules import polarity_of
from backend.staff.models import Department, Role

EARLIEST_DECISION = date(2000, 1, 1)

# Column names a department may use (CSV headers or JSON keys) → our field names.
FIELD_ALIASES: dict[str, str] = {
    "主体代码": "subject_code", "统一社会信用代码": "subject_code", "身份证号码": "subject_code",
    "信息类别": "kind", "类别": "kind",
    "严重程度": "severity", "失信程度": "severity",
    "决定文书号": "decision_no", "文书号": "decision_no",
    "决定日期": "decision_date",
    "标题": "title", "内容": "summary", "依据": "legal_basis", "领域": "domain",
    "金额": "amount_yuan", "金额（元）": "amount_yuan", "金额(元)": "amount_yuan",
    "检查结果": "result", "部门代码": "department_code",
}
FIELDS = (
    "subject_code", "kind", "severity", "decision_no", "decision_date", "title", "summary",
    "legal_basis", "domain", "amount_yuan", "result", "department_code",
)

_KIND_NAMES: dict[str, RecordKind] = {}
for _kind, _label in RECORD_KIND_LABELS.items():
    _KIND_NAMES[_kind.value] = _kind
    _KIND_NAMES[_label] = _kind
    if _label.startswith("行政"):
        _KIND_NAMES[_label[2:]] = _kind  # 处罚, 许可 …
_KIND_NAMES.update({"违诺": RecordKind.COMMITMENT_BREACH, "荣誉": RecordKind.HONOUR, "表彰": RecordKind.HONOUR})

_SEVERITY_NAMES: dict[str, Severity] = {s.value: s for s in Severity}
_SEVERITY_NAMES.update({label: s for s, label in SEVERITY_LABELS.items()})
_SEVERITY_NAMES.update({"轻微失信": Severity.MINOR, "一般失信": Severity.GENERAL, "严重失信": Severity.SERIOUS})

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def local_today() -> date:
    """Today in China (deadlines and "not in the future" are Beijing-time questions)."""
    return china_today()


def fail(field: str, reason: str, message: str) -> ValidationFailed:
    return ValidationFailed(reason, message, errors={field: [message]})


def canonical_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Map Chinese or English keys (any case, stray spaces) to field names; unknown keys are dropped."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = str(key).strip().lstrip("\ufeff")
        name = FIELD_ALIASES.get(name, name.lower())
        if name in FIELDS and (name not in out or out[name] in (None, "")):
            out[name] = value
    return out


def _text(row: Mapping[str, Any], field: str) -> str:
    value = row.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise fail(field, f"{field}_invalid", "该项应为文字。")
    text = str(value).strip()
    if not text.isprintable() and any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        raise fail(field, f"{field}_invalid", "该项含有无法识别的控制字符。")
    return text


def optional_text(row: Mapping[str, Any], field: str, label: str, max_len: int) -> str | None:
    text = _text(row, field)
    if len(text) > max_len:
        raise fail(field, f"{field}_too_long", f"{label}不能超过{max_len}个字。")
    return text or None


def required_text(row: Mapping[str, Any], field: str, label: str, max_len: int) -> str:
    text = optional_text(row, field, label, max_len)
    if not text:
        raise fail(field, f"{field}_required", f"请填写{label}。")
    return text


def parse_kind(value: Any) -> RecordKind:
    text = str(value or "").strip()
    if not text:
        raise fail("kind", "kind_required", "请填写信息类别（如：行政处罚）。")
    kind = _KIND_NAMES.get(text) or _KIND_NAMES.get(text.lower())
    if kind is None:
        # The typed text is not quoted back: a shifted spreadsheet column puts ID numbers here.
        raise fail("kind", "kind_invalid", "信息类别无法识别，请填写如“行政处罚”“行政许可”等类别。")
    return kind


def parse_severity(value: Any) -> Severity | None:
    text = str(value or "").strip()
    if not text:
        return None
    severity = _SEVERITY_NAMES.get(text) or _SEVERITY_NAMES.get(text.lower())
    if severity is None:
        raise fail("severity", "severity_invalid", "严重程度请填写“轻微”“一般”或“严重”。")
    return severity


def parse_decision_date(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            raise fail("decision_date", "decision_date_required", "请填写决定日期。")
        text = text.split("T")[0].split(" ")[0]
        day = None
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    day = date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    raise fail("decision_date", "decision_date_invalid", "决定日期不是有效日期。") from None
                break
        if day is None:
            raise fail("decision_date", "decision_date_invalid", "决定日期格式应为 2026-03-05。")
    if day > today:
        raise fail("decision_date", "decision_date_future", "决定日期不能晚于今天。")
    if day < EARLIEST_DECISION:
        raise fail("decision_date", "decision_date_too_old", "决定日期不能早于2000年1月1日。")
    return day


def parse_amount(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise fail("amount_yuan", "amount_invalid", "金额请填写数字（单位：元）。")
    text = str(value).strip().replace(",", "").replace("，", "").removesuffix("元")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise fail("amount_yuan", "amount_invalid", "金额请填写数字（单位：元）。") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 15:
        raise fail("amount_yuan", "amount_invalid", "金额应为不小于0的数字（单位：元）。")
    if amount != amount.to_integral_value():
        raise fail("amount_yuan", "amount_not_whole", "金额请填写整数元。")
    return int(amount)


def subject_code_of(row: Mapping[str, Any]) -> str:
    """The row's subject code, normalised and valid (else the validator's reason, e.g. uscc_check_digit)."""
    code = normalize_code(_text(row, "subject_code"))
    parse_subject_code(code, "subject_code")  # raises with the validator's reason (uscc_check_digit …)
    return code


@dataclass
class CleanRecord:
    subject_id: int
    subject_code: str
    department_id: int
    kind: RecordKind
    polarity: Polarity
    severity: Severity | None
    decision_no: str
    decision_date: date
    title: str
    summary: str | None
    legal_basis: str | None
    domain: str | None
    amount_yuan: int | None
    result: str | None

    @property
    def key(self) -> tuple[int, str, int]:
        """What must be unique among current records: (department, 决定文书号, subject)."""
        return (self.department_id, self.decision_no, self.subject_id)


def ensure_can_submit(actor: Actor) -> None:
    """Only the credit office, department reviewers and system jobs (demo seed) submit records."""
    if actor.kind == "system":
        return
    if not actor.is_staff or actor.role not in (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER):
        raise Forbidden("role_forbidden", "您的岗位没有提交信用信息的权限。")


def may_name_department(actor: Actor) -> bool:
    return actor.kind == "system" or actor.role == Role.CREDIT_ADMIN


class Departments:
    """Departments by id and code, loaded once each (a batch names at most a few)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_id: dict[int, Department | None] = {}
        self._by_code: dict[str, Department | None] = {}

    def by_id(self, dept_id: int) -> Department | None:
        if dept_id not in self._by_id:
            self._by_id[dept_id] = self.session.get(Department, dept_id)
        return self._by_id[dept_id]

    def by_code(self, code: str) -> Department | None:
        if code not in self._by_code:
            dept = self.session.execute(select(Department).where(Department.code == code)).scalar()
            self._by_code[code] = dept
            if dept is not None:
                self._by_id[dept.id] = dept
        return self._by_code[code]

    def resolve(self, actor: Actor, code: str | None, default_id: int | None = None) -> Department:
        """The department a record is submitted for: the actor's own, or (credit office) a named one."""
        own = actor.department_id if actor.department_id is not None else default_id
        if code:
            dept = self.by_code(code)
            if dept is None:
                raise fail("department_code", "department_unknown", "部门代码不存在。")
            if dept.id != own and not may_name_department(actor):
                raise Forbidden("department_forbidden", "只能提交本部门的信用信息。",
                                errors={"department_code": ["只能提交本部门的信用信息。"]})
            return dept
        dept = self.by_id(own) if own is not None else None
        if dept is None:
            raise fail("department_code", "department_required", "请填写提交部门的部门代码。")
        return dept


class RowChecker:
    """Checks rows against known subjects and department scopes, without per-row queries."""

    def __init__(self, actor: Actor, today: date, subject_ids: Mapping[str, int], departments: Departments,
                 default_department_id: int | None = None) -> None:
        self.actor = actor
        self.today = today
        self.subject_ids = subject_ids
        self.departments = departments
        self.default_department_id = default_department_id

    def check(self, raw: Mapping[str, Any]) -> CleanRecord:
        row = canonical_row(raw)
        code = subject_code_of(row)
        subject_id = self.subject_ids.get(code)
        if subject_id is None:
            raise fail("subject_code", "subject_unknown", "没有找到该代码对应的信用主体，请核对代码或先登记主体。")
        kind = parse_kind(row.get("kind"))
        severity = parse_severity(row.get("severity"))
        result = optional_text(row, "result", "检查结果", 200)
        polarity = polarity_of(kind, severity, result)
        if polarity == Polarity.NEGATIVE:
            if severity is None and kind in JUDICIAL_KINDS:
                severity = Severity.SERIOUS  # 失信被执行人 / 虚假诉讼失信人 are 严重失信 by nature
            if severity is None:
                raise fail("severity", "severity_required", "失信信息请填写严重程度（轻微、一般或严重）。")
        else:
            severity = None  # severity only grades 失信 information
        decision_no = required_text(row, "decision_no", "决定文书号", 100)
        decision_date = parse_decision_date(row.get("decision_date"), self.today)
        title = required_text(row, "title", "标题", 200)
        summary = optional_text(row, "summary", "内容", 10_000)
        legal_basis = optional_text(row, "legal_basis", "依据", 5_000)
        domain = optional_text(row, "domain", "领域", 20)
        amount = parse_amount(row.get("amount_yuan"))
        dept_code = optional_text(row, "department_code", "部门代码", 32)
        dept = self.departments.resolve(self.actor, dept_code, self.default_department_id)
        if not dept.active:
            raise fail("department_code", "department_inactive", "该部门已停用，不能提交信用信息。")
        if kind.value not in (dept.record_kinds or []):
            raise fail("kind", "kind_out_of_scope",
                       f"“{RECORD_KIND_LABELS[kind]}”不在{dept.short_name}的信息提供范围内。")
        return CleanRecord(
            subject_id=subject_id, subject_code=code, department_id=dept.id, kind=kind, polarity=polarity,
            severity=severity, decision_no=decision_no, decision_date=decision_date, title=title,
            summary=summary, legal_basis=legal_basis, domain=domain, amount_yuan=amount, result=result,
        )


def row_error(row_number: int, err: DomainError) -> dict[str, Any]:
    """A refused batch row as staff see it: ``{row, reason, message, field}``."""
    field = next(iter(err.errors), None) if isinstance(err.errors, dict) else None
    # Stored in record_batches.errors and served again: nothing that looks personal goes in.
    return {"row": row_number, "reason": err.reason, "message": mask_personal(err.message),
            "field": mask_personal(field) if isinstance(field, str) else field}

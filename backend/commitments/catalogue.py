"""信用承诺事项清单 (the commitment catalogue, seed 二(一)): what each department offers to sign.

An item has a type, the subject kinds it applies to (自然人 / 企业和其他组织 / 个体工商户), whether
subjects on the 严重失信 list or under a 禁入 ban are refused, a term in months and a letter template
(承诺书样式) with placeholders (:data:`backend.commitments.letters.PLACEHOLDERS`). Saving an item with
a changed template writes a new template version; the old versions stay, so a signed letter always
names the text it came from. Items are keyed by (department, 事项编码): saving the same values again
changes nothing, which is what makes re-importing a sheet harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.letters import check_template
from backend.commitments.models import (
    COMMITMENT_TYPE_LABELS,
    SUBJECT_KIND_LABELS,
    CommitmentItem,
    CommitmentTemplate,
    CommitmentType,
    SubjectKindCode,
)
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.ids import is_valid_uscc, normalize_code
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.platform.db import utcnow
from backend.platform.errors import NotFound
from backend.staff.models import Role
from backend.staff.services import acting_department, department_scoped, require_department_scope, require_role

MANAGE_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER)
READ_ROLES = (*MANAGE_ROLES, Role.AUDITOR)  # who may read the catalogue (the API and the console)
TEMPLATE_MAX = 5000
TERM_MAX_MONTHS = 120

_TYPE_NAMES = {label: t for t, label in COMMITMENT_TYPE_LABELS.items()}
_TYPE_NAMES.update({label.removesuffix("承诺"): t for t, label in COMMITMENT_TYPE_LABELS.items()})
_TYPE_NAMES.update({"告知承诺": CommitmentType.CERTIFICATION, "证明事项告知承诺制": CommitmentType.CERTIFICATION})
_KIND_NAMES = {
    "自然人": SubjectKindCode.PERSON, "个人": SubjectKindCode.PERSON,
    "企业": SubjectKindCode.FIRM, "法人": SubjectKindCode.FIRM, "企业和其他组织": SubjectKindCode.FIRM,
    "法人和其他组织": SubjectKindCode.FIRM, "个体工商户": SubjectKindCode.SOLE_TRADER, "个体户": SubjectKindCode.SOLE_TRADER,
}


@dataclass(frozen=True)
class Saved:
    item: CommitmentItem
    outcome: str  # created / updated / unchanged


def parse_type(value) -> CommitmentType:
    """A commitment type by code (``disclosure``) or by its Chinese name (主动公示型)."""
    text = str(value or "").strip()
    try:
        return CommitmentType(text)
    except ValueError:
        pass
    if text in _TYPE_NAMES:
        return _TYPE_NAMES[text]
    raise field_error("type", "type_invalid",
                      "承诺类型应为审批替代型、主动公示型、行业自律型、信用修复型或证明事项告知承诺。")


def parse_subject_kinds(value) -> list[str]:
    """Subject kinds from a list of codes or a text such as ``企业、个体工商户``; at least one."""
    parts = value if isinstance(value, list | tuple) else str(value or "").replace("，", "、").replace(",", "、") \
        .replace("/", "、").split("、")
    kinds: list[str] = []
    for raw in parts:
        text = str(raw).strip()
        if not text:
            continue
        try:
            kind = SubjectKindCode(text)
        except ValueError:
            kind = _KIND_NAMES.get(text)
        if kind is None:
            raise field_error("subject_kinds", "subject_kinds_invalid", "适用主体应为自然人、企业或个体工商户。")
        if kind.value not in kinds:
            kinds.append(kind.value)
    if not kinds:
        raise field_error("subject_kinds", "subject_kinds_required", "请填写适用主体（自然人、企业或个体工商户）。")
    return kinds


def parse_agency_uscc(value) -> str | None:
    """The implementing agency's 统一社会信用代码 as text. A code Excel stored as a number is read
    back as its digits; if Excel lost digits on the way (15 significant digits), say so."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise field_error("agency_uscc", "agency_uscc_invalid", "实施机关统一社会信用代码无效。")
    if isinstance(value, int | float):
        digits = f"{int(value)}" if float(value).is_integer() else ""
        if len(digits) != 18 or not is_valid_uscc(digits):
            raise field_error("agency_uscc", "uscc_digits_lost",
                              "实施机关统一社会信用代码被表格存成了数字，部分位数已丢失；请把该列设为文本格式后重新填写。")
        return digits
    code = normalize_code(value)
    if not is_valid_uscc(code):
        raise field_error("agency_uscc", "agency_uscc_invalid", "实施机关统一社会信用代码无效，请核对。")
    return code


def _term(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        months = int(str(value).strip().removesuffix("个月").removesuffix("月"))
    except ValueError:
        months = -1
    if not 1 <= months <= TERM_MAX_MONTHS:
        raise field_error("term_months", "term_months_invalid", f"承诺期限应为1至{TERM_MAX_MONTHS}个月的整数，不限期可留空。")
    return months


def _flag(value, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"是", "y", "yes", "true", "1", "拒绝"}:
        return True
    if text in {"否", "n", "no", "false", "0", "不拒绝"}:
        return False
    raise field_error("refuse_listed", "refuse_listed_invalid", "“拒绝失信主体”应填“是”或“否”。")


def current_template(session: Session, item: CommitmentItem) -> CommitmentTemplate:
    return session.execute(select(CommitmentTemplate).where(
        CommitmentTemplate.item_id == item.id, CommitmentTemplate.version == item.template_version)).scalar_one()


def save_item(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    commitment_type,
    subject_kinds,
    template: str,
    refuse_listed=True,
    term_months=None,
    agency_uscc=None,
    active: bool = True,
    department_code: str | None = None,
) -> Saved:
    """Create or update the item (department, ``code``). Equal values change nothing (``unchanged``);
    a different template becomes the next template version."""
    require_role(actor, MANAGE_ROLES, "您的岗位没有管理信用承诺事项的权限。")
    code = clean_text(None if code is None else str(code), "code", "事项编码", True, 40)
    name = clean_text(name, "name", "事项名称", True, 200)
    values = {
        "name": name, "type": parse_type(commitment_type), "subject_kinds": parse_subject_kinds(subject_kinds),
        "refuse_listed": _flag(refuse_listed), "term_months": _term(term_months),
        "agency_uscc": parse_agency_uscc(agency_uscc), "active": bool(active),
    }
    body = clean_text(template, "template", "承诺书样式", True, TEMPLATE_MAX)
    check_template(body)
    dept = acting_department(session, actor, department_code, "事项所属部门")
    item = session.execute(select(CommitmentItem).where(
        CommitmentItem.department_id == dept.id, CommitmentItem.code == code)).scalar()
    if item is None:
        item = CommitmentItem(department_id=dept.id, code=code, template_version=1, **values)
        session.add(item)
        session.flush()
        session.add(CommitmentTemplate(item_id=item.id, version=1, body=body))
        session.flush()
        audit(session, actor, "commitment_item.create", "commitment_item", item.id, department_id=dept.id)
        return Saved(item, "created")
    changed = [k for k, v in values.items() if getattr(item, k) != v]
    new_template = current_template(session, item).body != body
    if not changed and not new_template:
        return Saved(item, "unchanged")
    for k in changed:
        setattr(item, k, values[k])
    if new_template:
        item.template_version += 1
        session.add(CommitmentTemplate(item_id=item.id, version=item.template_version, body=body))
    item.updated_at = utcnow()
    session.flush()
    audit(session, actor, "commitment_item.update", "commitment_item", item.id, fields=changed,
          template_version=item.template_version)
    return Saved(item, "updated")


def get_item(session: Session, item_id: int) -> CommitmentItem:
    item = session.get(CommitmentItem, item_id)
    if item is None:
        raise NotFound("commitment_item_not_found", "没有找到这个信用承诺事项。")
    return item


def view_item(session: Session, actor: Actor, item_id: int) -> CommitmentItem:
    """One item for staff (department reviewers: their own department's)."""
    item = get_item(session, item_id)
    require_department_scope(actor, item.department_id)
    return item


def search_items(session: Session, actor: Actor, *, department_code: str | None = None,
                 commitment_type: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """Staff list of catalogue items, by department and code."""
    stmt = department_scoped(session, actor, select(CommitmentItem), CommitmentItem.department_id, department_code)
    if commitment_type:
        stmt = stmt.where(CommitmentItem.type == CommitmentType(commitment_type))
    return paginate(session, stmt, CommitmentItem.department_id, CommitmentItem.code, page=page, per_page=per_page)


def templates_of(session: Session, items: Iterable[CommitmentItem]) -> dict[int, str]:
    """The current template body of each item, in one query."""
    items = list(items)
    if not items:
        return {}
    rows = session.execute(select(CommitmentTemplate.item_id, CommitmentTemplate.version, CommitmentTemplate.body)
                           .where(CommitmentTemplate.item_id.in_([i.id for i in items]))).all()
    current = {i.id: i.template_version for i in items}
    return {r.item_id: r.body for r in rows if current[r.item_id] == r.version}


def describe_items(session: Session, items: Iterable[CommitmentItem], outcome: str | None = None) -> list[dict]:
    """Catalogue items as the staff API and the console show them: with their department and current
    template (two queries)."""
    from backend.records.queries import describe_departments

    items = list(items)
    depts = describe_departments(session, (i.department_id for i in items))
    bodies = templates_of(session, items)
    return [
        {"id": i.id, "code": i.code, "name": i.name, "type": CommitmentType(i.type).value,
         "type_label": COMMITMENT_TYPE_LABELS[i.type], "subject_kinds": i.subject_kinds,
         "subject_kind_labels": [SUBJECT_KIND_LABELS[SubjectKindCode(k)] for k in i.subject_kinds],
         "refuse_listed": i.refuse_listed, "term_months": i.term_months, "agency_uscc": i.agency_uscc,
         "template_version": i.template_version, "template": bodies.get(i.id), "active": i.active,
         "department": depts.get(i.department_id, {}), "outcome": outcome}
        for i in items
    ]

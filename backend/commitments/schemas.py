"""Schemas of the staff commitment API (信用承诺登记与核查)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from backend.commitments.models import Commitment, CommitmentStatus, CommitmentType
from backend.commitments.services import commitment_view
from backend.common.clock import china_today
from backend.common.crypto import mask_id_number, mask_name
from backend.common.fields import BoundedDate, PageOut, PageQuery, Text
from backend.common.privacy import mask_personal
from backend.records.queries import describe_departments, describe_subjects
from backend.records.schemas import DepartmentOut, SubjectOut
from backend.subjects.models import Person

TYPES = [t.value for t in CommitmentType]
STATUSES = [s.value for s in CommitmentStatus]
OUTCOMES = [CommitmentStatus.KEPT.value, CommitmentStatus.BREACHED.value, CommitmentStatus.WITHDRAWN.value]


class CommitmentIn(Schema):
    subject_code = Text(max_len=40, required=True, metadata={"description": "统一社会信用代码或身份证号"})
    commitment_type = fields.String(data_key="type", required=True, validate=validate.OneOf(TYPES),
                                    metadata={"description": "approval 审批替代型 / disclosure 主动公示型 / industry "
                                                             "行业自律型 / repair 信用修复型 / certification 证明事项告知承诺"})
    matter = Text(required=True, metadata={"description": "承诺事项，200字以内"})
    content = Text(required=True, metadata={"description": "承诺内容，5000字以内"})
    signed_on = BoundedDate(required=True)
    valid_until = BoundedDate(load_default=None, metadata={"description": "承诺期限（最后一天）"})
    document_no = Text(load_default=None, metadata={"description": "承诺书编号"})
    department_code = Text(max_len=32, load_default=None, metadata={"description": "信用办代部门登记时填写"})


class CloseIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES),
                            metadata={"description": "kept 已履约 / breached 已违诺 / withdrawn 已撤销（登记有误）"})
    note = Text(required=True, metadata={"description": "核查说明"})
    closed_on = BoundedDate(load_default=None, metadata={"description": "核查日期，默认今天"})
    breach_record_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1, error="违诺记录编号无效。"),
                                      metadata={"description": "违诺时关联的“违背信用承诺”记录"})


class BreachIn(Schema):
    decision_no = Text(required=True, metadata={"description": "违诺认定文书号"})
    note = Text(required=True, metadata={"description": "违诺情况"})
    decision_date = fields.Date(load_default=None, metadata={"description": "认定日期，默认今天"})
    severity = fields.String(load_default="general", validate=validate.OneOf(["minor", "general", "serious"]),
                             metadata={"description": "minor 轻微 / general 一般 / serious 严重"})


class CommitmentQuery(PageQuery):
    commitment_type = fields.String(data_key="type", validate=validate.OneOf(TYPES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    lapsed = fields.Boolean(metadata={"description": "true: 履约中但已过承诺期限、待核查的承诺"})
    subject_code = Text(max_len=40)
    department_code = Text(max_len=32, data_key="department")
    signed_from = fields.Date()
    signed_to = fields.Date()


class CommitmentOut(Schema):
    id = fields.Integer()
    type = fields.String()
    type_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    subject = fields.Nested(SubjectOut)
    department = fields.Nested(DepartmentOut)
    matter = fields.String()
    content = fields.String()
    document_no = fields.String(allow_none=True)
    signed_on = fields.Date()
    valid_until = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    close_note = fields.String(allow_none=True)
    breach_record_id = fields.Integer(allow_none=True)


class CommitmentPageOut(PageOut):
    items = fields.List(fields.Nested(CommitmentOut))


def _masked_content(content: str, person: Person | None) -> str:
    """The letter text as staff lists show it: a person's name and ID number (which an online letter
    spells out, {主体名称} / {主体代码}) masked like the subject column; anything else ID- or
    phone-like blanked. The stored text, and its hash, stay as signed."""
    if person is not None:
        content = content.replace(person.id_number, mask_id_number(person.id_number) or "")
        if person.name:
            content = content.replace(person.name, mask_name(person.name) or "")
    return mask_personal(content)


def present_commitments(session, items: list[Commitment]) -> list[dict]:
    """Commitments with their subject (persons masked) and department, in two queries; the labels are
    the card's (:func:`commitment_view`, e.g. 期满待核查)."""
    subjects = describe_subjects(session, (c.subject_id for c in items))
    depts = describe_departments(session, (c.department_id for c in items))
    persons = {p.id: p for p in session.execute(select(Person).where(
        Person.id.in_({c.subject_id for c in items if subjects.get(c.subject_id, {}).get("kind") == "person"}))).scalars()}
    today = china_today()
    return [
        {
            **{k: v for k, v in commitment_view(c, None, today).items() if k in ("id", "type", "type_label", "status",
                                                                                "status_label")},
            "subject": subjects.get(c.subject_id, {}), "department": depts.get(c.department_id, {}),
            "matter": c.matter, "content": _masked_content(c.content, persons.get(c.subject_id)),
            "document_no": c.document_no, "signed_on": c.signed_on,
            "valid_until": c.valid_until, "closed_on": c.closed_on, "close_note": c.close_note,
            "breach_record_id": c.breach_record_id,
        }
        for c in items
    ]

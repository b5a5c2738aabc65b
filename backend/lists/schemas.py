"""Schemas of the list APIs (名单)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from backend.common.fields import BoundedDate, PageOut, PageQuery, Text
from backend.lists.models import LIST_STATUS_LABELS, LIST_TYPE_LABELS, ListEntry, ListType
from backend.queues.models import QueueItem
from backend.records.queries import describe_departments, describe_subjects, records_under_objection
from backend.records.schemas import DepartmentOut, SubjectOut

TYPES = [t.value for t in ListType]
STATUSES = ["proposed", "active", "removed", "expired", "rejected"]


class ListEntryIn(Schema):
    subject_code = Text(max_len=40, required=True, metadata={"description": "统一社会信用代码或身份证号"})
    list_type = fields.String(required=True, validate=validate.OneOf(TYPES), metadata={"description": "red/watch/serious/ban"})
    reason = Text(required=True, metadata={"description": "列入事由"})
    legal_basis = Text(load_default=None, metadata={"description": "认定依据（重点关注、严重失信、禁入必填）"})
    decision_no = Text(load_default=None, metadata={"description": "认定文书号（重点关注、严重失信、禁入必填）"})
    listed_on = BoundedDate(required=True)
    expires_on = BoundedDate(load_default=None)
    domain = Text(load_default=None, metadata={"description": "禁入领域，如 食品药品"})
    record_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1, error="关联记录编号无效。"))
    department_code = Text(max_len=32, load_default=None, metadata={"description": "信用办代部门认定时填写"})


class RemoveIn(Schema):
    reason = Text(required=True, metadata={"description": "移出原因"})


class ListQuery(PageQuery):
    list_type = fields.String(data_key="type", validate=validate.OneOf(TYPES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    subject_code = Text(max_len=40)
    department_code = Text(max_len=32, data_key="department")


class ListEntryOut(Schema):
    id = fields.Integer()
    list_type = fields.String()
    list_label = fields.String()
    status = fields.String(metadata={"description": "proposed 待信用办确认 / active 在列 / removed / expired / rejected 不予列入"})
    status_label = fields.String()
    subject = fields.Nested(SubjectOut)
    department = fields.Nested(DepartmentOut)
    decision_no = fields.String(allow_none=True)
    reason = fields.String()
    legal_basis = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)
    listed_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    removed_on = fields.Date(allow_none=True)
    removal_reason = fields.String(allow_none=True)
    record_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True, metadata={"description": "信用办确认或不予列入的时间"})
    decision_note = fields.String(allow_none=True, metadata={"description": "信用办的意见（不予列入的原因）"})
    queue_item_id = fields.Integer(allow_none=True, metadata={"description": "严重失信、禁入提议的确认事项（待办）编号"})


class ListPageOut(PageOut):
    items = fields.List(fields.Nested(ListEntryOut))


class PublicListQuery(PageQuery):
    pass


class PublicListItem(Schema):
    uscc = fields.String()
    name = fields.String()
    list_label = fields.String()
    reason = fields.String()
    decision_no = fields.String(allow_none=True)
    department = fields.String()
    domain = fields.String(allow_none=True)
    listed_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    under_objection = fields.Boolean(metadata={"description": "所依据的信用信息正在异议处理中"})
    status_label = fields.String(metadata={"description": "在列 / 异议中"})


class PublicListPage(PageOut):
    items = fields.List(fields.Nested(PublicListItem))


def present_entries(session, entries: list[ListEntry]) -> list[dict]:
    """Entries with their subject (persons masked) and department, in two queries."""
    subjects = describe_subjects(session, (e.subject_id for e in entries))
    depts = describe_departments(session, (e.department_id for e in entries))
    ids = [e.id for e in entries]
    items = dict(session.execute(select(QueueItem.ref_id, QueueItem.id).where(
        QueueItem.kind == "list_proposal", QueueItem.ref_id.in_(ids))).all()) if ids else {}
    return [
        {
            "id": e.id, "list_type": e.list_type.value, "list_label": LIST_TYPE_LABELS[e.list_type],
            "status": e.status.value, "status_label": LIST_STATUS_LABELS[e.status], "subject": subjects.get(e.subject_id, {}), "department": depts.get(e.department_id, {}),
            "decision_no": e.decision_no, "reason": e.reason, "legal_basis": e.legal_basis, "domain": e.domain,
            "listed_on": e.listed_on, "expires_on": e.expires_on, "removed_on": e.removed_on,
            "removal_reason": e.removal_reason, "record_id": e.record_id, "decided_at": e.decided_at,
            "decision_note": e.decision_note, "queue_item_id": items.get(e.id),
        }
        for e in entries
    ]


def present_public_entries(session, entries: list[ListEntry]) -> list[dict]:
    """Published entries with the firm's code and name and the deciding department's short name."""
    firms = describe_subjects(session, (e.subject_id for e in entries))
    depts = describe_departments(session, (e.department_id for e in entries))
    objected = records_under_objection(session, (e.record_id for e in entries))
    return [
        {
            "uscc": firms[e.subject_id]["code"], "name": firms[e.subject_id]["name"],
            "list_label": LIST_TYPE_LABELS[e.list_type], "reason": e.reason, "decision_no": e.decision_no,
            "department": depts[e.department_id]["short_name"], "domain": e.domain, "listed_on": e.listed_on,
            "expires_on": e.expires_on,
            # the record the listing rests on is under objection (异议中) until decided
            "under_objection": e.record_id in objected,
            "status_label": "异议中" if e.record_id in objected else "在列",
        }
        for e in entries
    ]

"""Request and response schemas of the staff records API, and the record → dict presenter.

Input fields are deliberately loose (text): the services check them and answer with stable
``reason`` strings and plain Chinese, the same for a single record, a JSON batch and a CSV file.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from backend.common.fields import PageOut, PageQuery, Text
from backend.records.models import (
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
    SEVERITY_LABELS,
    CreditRecord,
    RecordBatch,
    RecordEvent,
)
from backend.records.queries import describe_departments, describe_subjects


def _text(description: str, **kw) -> fields.String:
    return fields.String(load_default=None, allow_none=True, metadata={"description": description}, **kw)


class RecordIn(Schema):
    subject_code = _text("主体代码（统一社会信用代码或身份证号码），必填")
    kind = _text("信息类别：admin_penalty 等或中文名称“行政处罚”，必填")
    severity = _text("严重程度：轻微/一般/严重（minor/general/serious），失信信息必填")
    decision_no = _text("决定文书号，必填")
    decision_date = _text("决定日期 YYYY-MM-DD，必填")
    title = _text("标题，必填")
    summary = _text("内容")
    legal_basis = _text("依据")
    domain = _text("领域（食品、药品、特种设备、安全生产、消防 …）")
    amount_yuan = fields.Raw(load_default=None, allow_none=True, metadata={"description": "金额（元，整数）"})
    result = _text("检查结果（行政监督检查：发现问题/不合格 时为失信信息）")
    department_code = _text("部门代码（仅信用办代其他部门提交时填写）")


class SupersedeIn(Schema):
    changes = fields.Dict(required=True, metadata={"description": "需要更正的字段及新值（字段同提交）"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                           metadata={"description": "更正原因"})


class PublicationIn(Schema):
    basis = Text(required=True, metadata={"description": "例外公示的依据（法律、法规或部门规定），不超过1000字"})


class BatchIn(Schema):
    rows = fields.List(fields.Dict(), required=True, metadata={"description": "每行字段同单条提交"})
    department_code = _text("部门代码（仅信用办代其他部门提交时填写）")


class RecordQuery(PageQuery):
    subject_code = fields.String(metadata={"description": "主体代码"})
    kind = fields.String(metadata={"description": "信息类别"})
    status = fields.String(metadata={"description": "状态：publicizing/公示中 …"})
    date_from = fields.Date(data_key="from", metadata={"description": "决定日期起"})
    date_to = fields.Date(data_key="to", metadata={"description": "决定日期止"})
    include_history = fields.Boolean(load_default=False, metadata={"description": "包含已更正的历史版本"})


class SubjectOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    code = fields.String(metadata={"description": "自然人身份证号已脱敏"})
    name = fields.String()


class DepartmentOut(Schema):
    id = fields.Integer()
    code = fields.String()
    short_name = fields.String()


class RecordOut(Schema):
    id = fields.Integer()
    subject = fields.Nested(SubjectOut)
    department = fields.Nested(DepartmentOut)
    kind = fields.String()
    kind_label = fields.String()
    polarity = fields.String()
    severity = fields.String(allow_none=True)
    severity_label = fields.String(allow_none=True)
    decision_no = fields.String()
    decision_date = fields.Date()
    title = fields.String()
    summary = fields.String(allow_none=True)
    legal_basis = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)
    amount_yuan = fields.Integer(allow_none=True)
    publicity_start = fields.Date()
    publicity_min_end = fields.Date(allow_none=True)
    publicity_max_end = fields.Date(allow_none=True)
    publish_deadline = fields.Date()
    published_late = fields.Boolean()
    rule_version = fields.String(metadata={"description": "适用规则版本；“旧>新”表示从旧兼从轻"})
    publication = fields.String(metadata={"description": "public 公示 / withheld 原则上不予公示（轻微）/ never 不予公示（警告）"})
    publication_basis = fields.String(allow_none=True, metadata={"description": "例外公示的依据（最长3个月）"})
    status = fields.String()
    status_label = fields.String()
    version = fields.Integer()
    supersedes_id = fields.Integer(allow_none=True)
    is_current = fields.Boolean()
    superseded_at = fields.DateTime(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class EventOut(Schema):
    record_id = fields.Integer()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    note = fields.String(allow_none=True)
    at = fields.DateTime()


class RecordDetailOut(RecordOut):
    history = fields.List(fields.Nested(RecordOut), metadata={"description": "所有版本，最早的在前"})
    events = fields.List(fields.Nested(EventOut))


class RecordPageOut(PageOut):
    items = fields.List(fields.Nested(RecordOut))


class RowErrorOut(Schema):
    row = fields.Integer(metadata={"description": "第几行数据（从1开始，不含表头）"})
    reason = fields.String()
    message = fields.String()
    field = fields.String(allow_none=True)


class BatchOut(Schema):
    batch_id = fields.Integer()
    department_id = fields.Integer()
    source = fields.String()
    total = fields.Integer()
    accepted = fields.Integer()
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    created_at = fields.DateTime()


def present_records(session: Session, records: list[CreditRecord]) -> list[dict]:
    subjects = describe_subjects(session, (r.subject_id for r in records))
    departments = describe_departments(session, (r.department_id for r in records))
    out = []
    for r in records:
        out.append({
            **{c: getattr(r, c) for c in RecordOut._declared_fields if hasattr(r, c)},
            "subject": subjects.get(r.subject_id),
            "department": departments.get(r.department_id),
            "kind": r.kind.value,
            "kind_label": RECORD_KIND_LABELS[r.kind],
            "polarity": r.polarity.value,
            "severity": r.severity.value if r.severity else None,
            "severity_label": SEVERITY_LABELS[r.severity] if r.severity else None,
            "status": r.status.value,
            "status_label": RECORD_STATUS_LABELS[r.status],
        })
    return out


def present_detail(session: Session, record: CreditRecord, history: list[CreditRecord],
                   events: list[RecordEvent]) -> dict:
    versions = present_records(session, history)
    current = next(v for v in versions if v["id"] == record.id)
    return {**current, "history": versions, "events": events}


def present_batch(batch: RecordBatch) -> dict:
    return {
        "batch_id": batch.id, "department_id": batch.department_id, "source": batch.source,
        "total": batch.total_rows, "accepted": batch.accepted_rows, "rejected": batch.rejected_rows,
        "errors": batch.errors or [], "created_at": batch.created_at,
    }

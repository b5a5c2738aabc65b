"""Schemas of the compare-and-intercept API (比对拦截)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.common.fields import PageOut, PageQuery, Text
from backend.intercept.services import MAX_SUBJECTS, PURPOSES
from backend.records.schemas import DepartmentOut, SubjectOut


class CheckIn(Schema):
    # Strings of any content: each code is validated by the service and reported per item.
    subjects = fields.List(fields.String(validate=validate.Length(max=64)), required=True,
                           validate=validate.Length(min=1, max=MAX_SUBJECTS, error=f"一次比对1至{MAX_SUBJECTS}个主体。"),
                           metadata={"description": "统一社会信用代码或身份证号，最多10000个"})
    domain = Text(max_len=40, load_default=None, metadata={"description": "本部门领域，如 食品药品（查该领域的禁入）"})


class InvalidOut(Schema):
    index = fields.Integer(metadata={"description": "在 subjects 中的位置（从0起）"})
    reason = fields.String()
    message = fields.String()


class HitOut(Schema):
    index = fields.Integer()
    subject_kind = fields.String()
    list_type = fields.String()
    list_label = fields.String()
    domain = fields.String(allow_none=True)
    reason = fields.String()
    legal_basis = fields.String(allow_none=True)
    decision_no = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    listed_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    message = fields.String()


class CheckOut(Schema):
    check_id = fields.Integer()
    domain = fields.String(allow_none=True)
    total = fields.Integer()
    hit_count = fields.Integer()
    invalid = fields.List(fields.Nested(InvalidOut))
    unknown = fields.List(fields.Integer(), metadata={"description": "代码有效但本平台没有该主体的位置"})
    hits = fields.List(fields.Nested(HitOut))


class LogQuery(PageQuery):
    subject_code = Text(max_len=40)
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
    blocked = fields.Boolean()
    department_code = Text(max_len=32, data_key="department")
    since = fields.Date()
    until = fields.Date()


class LogHitOut(Schema):
    subject = fields.Nested(SubjectOut)
    list_type = fields.String()
    list_entry_id = fields.Integer()


class LogItemOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    department = fields.Nested(DepartmentOut, allow_none=True)
    purpose = fields.String()
    domain = fields.String(allow_none=True)
    perk_id = fields.Integer(allow_none=True)
    subjects = fields.Integer()
    invalid = fields.Integer()
    hits = fields.List(fields.Nested(LogHitOut))
    blocked = fields.Boolean()


class LogPageOut(PageOut):
    items = fields.List(fields.Nested(LogItemOut))

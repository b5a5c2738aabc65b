"""Shapes of the credit card (信用名片) and its shares, for the OpenAPI spec and input parsing.

Card views return pre-built dicts (the card is cached as JSON); these schemas document them and
the tests check responses against them.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from backend.cards.sharing import TTL_DEFAULT, TTL_MAX, TTL_MIN


class _Open(Schema):
    class Meta:
        ordered = True


class LegalRepSchema(_Open):
    title = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "法定代表人姓名；本人以外均打码"})


class CardSubjectSchema(_Open):
    kind = fields.String(metadata={"description": "person 自然人 / firm 企业"})
    name = fields.String(metadata={"description": "姓名（打码，本人可见全名）或企业名称"})
    id_number = fields.String(metadata={"description": "身份证号（仅自然人，打码，本人可见全文）"})
    uscc = fields.String(metadata={"description": "统一社会信用代码（仅企业）"})
    entity_type = fields.String()
    region_code = fields.String()
    reg_status = fields.String()
    industry = fields.String(allow_none=True)
    established_on = fields.String(allow_none=True)
    legal_rep = fields.Nested(LegalRepSchema)
    masked = fields.Boolean(metadata={"description": "身份信息是否已打码"})


class ExplanationItemSchema(_Open):
    kind = fields.String()
    label = fields.String()
    title = fields.String()
    points = fields.Integer()
    dimension = fields.String(allow_none=True)
    dimension_label = fields.String(allow_none=True)
    note = fields.String()
    record_id = fields.Integer(allow_none=True)
    list_entry_id = fields.Integer(allow_none=True)
    commitment_id = fields.Integer(allow_none=True)


class HintSchema(_Open):
    action = fields.String()
    message = fields.String()
    record_id = fields.Integer(allow_none=True)
    from_date = fields.String(allow_none=True)


class CardEvaluationSchema(_Open):
    kind = fields.String(metadata={"description": "grade 企业公共信用综合评价 / score 个人诚信分"})
    score = fields.Integer()
    grade = fields.String(metadata={"description": "企业 A–D；个人为分段代码（good、excellent …）"})
    grade_label = fields.String(metadata={"description": "等级或分段名称（良好、优秀 …）"})
    forced = fields.Boolean()
    rules_version = fields.String()
    as_of = fields.String()
    evaluated_at = fields.String(allow_none=True)
    dimensions = fields.List(fields.Dict())
    explanation = fields.List(fields.Nested(ExplanationItemSchema), metadata={"description": "加分、扣分的依据"})
    hints = fields.List(fields.Nested(HintSchema), metadata={"description": "提升建议（仅本人）"})


class ListStatusSchema(_Open):
    list_type = fields.String(metadata={"description": "red 红名单 / watch 重点关注 / serious 严重失信 / ban 禁入"})
    label = fields.String()
    listed = fields.Boolean()


class ListEntrySchema(_Open):
    id = fields.Integer()
    list_type = fields.String()
    label = fields.String()
    listed_on = fields.String()
    expires_on = fields.String(allow_none=True)
    reason = fields.String()
    domain = fields.String(allow_none=True)
    department = fields.String()


class RecordCountSchema(_Open):
    kind = fields.String()
    label = fields.String()
    count = fields.Integer()


class CardRecordSchema(_Open):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    polarity = fields.String()
    title = fields.String()
    summary = fields.String(allow_none=True)
    decision_no = fields.String()
    decision_date = fields.String()
    department = fields.String()
    severity = fields.String(allow_none=True)
    severity_label = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String(metadata={"description": "公示中、异议中、已修复 …"})
    publicity_max_end = fields.String(allow_none=True)
    publication_label = fields.String(allow_none=True, metadata={"description": "“不公示”：仅本人可见（轻微失信信息原则上不予公示）"})


class CardSchema(_Open):
    subject = fields.Nested(CardSubjectSchema)
    evaluation = fields.Nested(CardEvaluationSchema, allow_none=True)
    list_status = fields.List(fields.Nested(ListStatusSchema))
    lists = fields.List(fields.Nested(ListEntrySchema))
    record_counts = fields.List(fields.Nested(RecordCountSchema), metadata={"description": "在效记录（公示中、异议中）按类别计数"})
    records = fields.List(fields.Nested(CardRecordSchema))
    commitments = fields.List(fields.Nested("CardCommitmentSchema"), metadata={"description": "履约中的信用承诺"})
    as_of = fields.String(metadata={"description": "名片生成时间"})


class ShareInfoSchema(_Open):
    expires_at = fields.DateTime()


class CardCommitmentSchema(_Open):
    id = fields.Integer()
    type = fields.String(metadata={"description": "approval 审批替代型 / disclosure 主动公示型 / industry 行业自律型 / "
                                                  "repair 信用修复型 / certification 证明事项告知承诺"})
    type_label = fields.String()
    matter = fields.String(metadata={"description": "承诺事项"})
    signed_on = fields.String()
    valid_until = fields.String(allow_none=True, metadata={"description": "承诺期限（最后一天）"})
    status = fields.String()
    status_label = fields.String()
    department = fields.String(metadata={"description": "登记部门"})


PUBLIC_COMMITMENT_FIELDS = ("type", "type_label", "matter", "signed_on", "valid_until", "department")


class PublicCommitmentSchema(CardCommitmentSchema):
    class Meta:
        ordered = True
        fields = PUBLIC_COMMITMENT_FIELDS


class SharedCardSchema(CardSchema):
    share = fields.Nested(ShareInfoSchema)


class PublicEvaluationSchema(_Open):
    kind = fields.String()
    grade = fields.String()
    grade_label = fields.String()
    rules_version = fields.String()
    as_of = fields.String()
    reasons = fields.List(fields.Dict(), metadata={"description": "由正在公示的记录、公开名单、公示的信用承诺产生的评价理由"})


class PublicCardSchema(_Open):
    subject = fields.Dict()
    evaluation = fields.Nested(PublicEvaluationSchema, allow_none=True)
    list_status = fields.List(fields.Nested(ListStatusSchema))
    lists = fields.List(fields.Dict())
    record_counts = fields.List(fields.Nested(RecordCountSchema), metadata={"description": "正在公示的记录按类别计数"})
    records_under_objection = fields.List(fields.Dict(), metadata={"description": "异议中的记录按类别计数（标注“异议中”）"})
    commitments = fields.List(fields.Nested(PublicCommitmentSchema),
                              metadata={"description": "履约中的主动公示型、行业自律型、信用修复型承诺"})
    as_of = fields.String()
    policy = fields.String(metadata={"description": "公开范围说明"})


class ShareCreateSchema(Schema):
    ttl_seconds = fields.Integer(
        strict=True, load_default=TTL_DEFAULT,
        metadata={"description": f"有效期（秒），{TTL_MIN}–{TTL_MAX}，默认{TTL_DEFAULT}"},
    )


class ShareSchema(_Open):
    id = fields.Integer()
    status = fields.String(metadata={"description": "active 有效 / expired 已过期 / revoked 已撤销"})
    status_label = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    view_count = fields.Integer()
    last_viewed_at = fields.DateTime(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "分享链接（仅有效的分享）"})


class ShareListSchema(Schema):
    items = fields.List(fields.Nested(ShareSchema))


class ShareCreatedSchema(_Open):
    id = fields.Integer()
    token = fields.String()
    url = fields.String()
    expires_at = fields.DateTime()
    qr_png = fields.String(metadata={"description": "二维码 PNG（base64）"})
    qr_svg = fields.String(metadata={"description": "二维码 SVG"})

"""Mini-program: sign a 信用承诺 from the catalogue, for myself or a firm I act for; my commitments,
their letters (PDF) and verification links."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.commitments import signing
from backend.commitments.letters import chinese_date, letter_pdf, signed_at_text
from backend.commitments.public import public_subject
from backend.commitments.vocabulary import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_LABELS,
    SUBJECT_KIND_LABELS,
    CommitmentStatus,
    CommitmentType,
    SubjectKindCode,
)
from backend.common.fields import Text
from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.http.ratelimit import heavy_read
from backend.http.urls import printed_url, public_url
from backend.records.queries import describe_departments

blp = Blueprint("miniapp_commitments", __name__, url_prefix="/miniapp/v1/commitments",
                description="小程序：信用承诺（在线签署、我的承诺、承诺书）")
SECURITY = [{"bearer": []}]
IDENTITY_LABELS = {"self_declared": "本人声明", "verified": "已核验"}


def verify_url(code: str) -> str:
    """Printed into the letter and its QR code: never from the Host header (see printed_url)."""
    return printed_url(f"/public/v1/commitments/verify/{code}")


class ForQuery(Schema):
    uscc = Text(max_len=64, load_default=None, metadata={"description": "代企业签署时填写企业统一社会信用代码"})


class PreviewQuery(ForQuery):
    approval_no = Text(max_len=100, load_default=None, metadata={"description": "审批替代型、告知承诺：审批文号"})


class SignIn(Schema):
    item_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    uscc = Text(max_len=64, load_default=None)
    approval_no = Text(max_len=100, load_default=None)
    notice_version = fields.Integer(load_default=None, metadata={"description": "已阅读确认的诚信提示版本（首次签署必填）"})
    template_version = fields.Integer(load_default=None, metadata={"description": "预览时的承诺书样式版本"})


class SignableItemOut(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    type_label = fields.String()
    department = fields.String()
    term_months = fields.Integer(allow_none=True)
    subject_kind_labels = fields.List(fields.String())
    needs_approval_no = fields.Boolean()
    available = fields.Boolean()
    refusal = fields.Dict(allow_none=True, metadata={"description": "不能签署的原因（reason、message）"})


class ItemsOut(Schema):
    subject = fields.Dict()
    items = fields.List(fields.Nested(SignableItemOut))


class PreviewOut(Schema):
    item_id = fields.Integer()
    template_version = fields.Integer()
    text = fields.String()
    valid_until = fields.Date(allow_none=True)
    notice = fields.Dict(allow_none=True, metadata={"description": "首次签署须先确认的诚信提示（version、title、body）"})


class MyCommitmentOut(Schema):
    id = fields.Integer()
    type = fields.String()
    type_label = fields.String()
    matter = fields.String()
    department = fields.String(allow_none=True)
    subject = fields.Dict()
    status = fields.String()
    status_label = fields.String()
    signed_on = fields.Date()
    valid_until = fields.Date(allow_none=True)
    letter = fields.Dict(allow_none=True, metadata={"description": "在线签署的承诺书：哈希、核验链接、PDF"})


class MyCommitmentsOut(Schema):
    items = fields.List(fields.Nested(MyCommitmentOut))


def present_mine(session, rows) -> list[dict]:
    """My commitments as the mini-program shows them; departments and subjects read once each (a
    person's list names the same few subjects — themselves and their firms — on every row)."""
    depts = describe_departments(session, (c.department_id for c, _ in rows))
    subjects = {sid: public_subject(session, sid) for sid in {c.subject_id for c, _ in rows}}
    out = []
    for c, letter in rows:
        status = CommitmentStatus(c.status)
        out.append({
            "id": c.id, "type": CommitmentType(c.type).value, "type_label": COMMITMENT_TYPE_LABELS[c.type],
            "matter": c.matter, "department": depts.get(c.department_id, {}).get("short_name"),
            "subject": subjects[c.subject_id], "status": status.value,
            "status_label": COMMITMENT_STATUS_LABELS[status], "signed_on": c.signed_on, "valid_until": c.valid_until,
            "letter": None if letter is None else {
                "text": letter.text, "template_version": letter.template_version, "content_hash": letter.content_hash,
                "signed_at": letter.signed_at.isoformat(), "identity_level": letter.signer_identity_level,
                "approval_matter": letter.approval_matter, "approval_no": letter.approval_no,
                "verify_url": verify_url(letter.verify_code),
                "pdf_url": public_url(f"/miniapp/v1/commitments/{c.id}/letter.pdf"),
            },
        })
    return out


@blp.route("/items")
class Items(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(ForQuery, location="query")
    @blp.response(200, ItemsOut)
    @blp.alt_response(403, description="未实名（identity_required）或不能代该企业办理（not_firm_agent）")
    @account_required
    def get(self, args):
        """适用于我（或我代为办理的企业）的信用承诺事项"""
        session = get_session()
        subject, items, listed = signing.items_for(session, current_actor(), args["uscc"])
        depts = describe_departments(session, (i.department_id for i in items))
        refusal = {"reason": "commitment_subject_listed",
                   "message": "该主体被列入严重失信主体名单或处于禁入期，不能通过信用承诺办理此事项。"}
        return {
            "subject": public_subject(session, subject.id),
            "items": [{
                "id": i.id, "name": i.name, "type": CommitmentType(i.type).value,
                "type_label": COMMITMENT_TYPE_LABELS[i.type],
                "department": depts.get(i.department_id, {}).get("short_name"), "term_months": i.term_months,
                "subject_kind_labels": [SUBJECT_KIND_LABELS[SubjectKindCode(k)] for k in i.subject_kinds],
                "needs_approval_no": CommitmentType(i.type) in signing.APPROVAL_TYPES,
                "available": not (listed and i.refuse_listed), "refusal": refusal if listed and i.refuse_listed else None,
            } for i in items],
        }


@blp.route("/items/<int(max=2147483647):item_id>/preview")
class Preview(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(PreviewQuery, location="query")
    @blp.response(200, PreviewOut)
    @blp.alt_response(409, description="commitment_subject_listed")
    @blp.alt_response(422, description="commitment_item_not_applicable / template_placeholder_unfilled / approval_no_required")
    @account_required
    def get(self, args, item_id: int):
        """预览用我的信息填写好的承诺书（首次签署时附诚信提示）"""
        return signing.preview_letter(get_session(), current_actor(), item_id, uscc=args["uscc"],
                                      approval_no=args["approval_no"])


@blp.route("")
class MyCommitments(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, MyCommitmentsOut)
    @account_required
    def get(self):
        """我的信用承诺（含我代为办理的企业）：履约中 / 已履约 / 已违诺 / 已撤销，承诺书与核验链接"""
        session = get_session()
        return {"items": present_mine(session, signing.my_commitments(session, current_actor()))}

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(SignIn)
    @blp.response(201, MyCommitmentOut)
    @blp.alt_response(409, description="commitment_subject_listed / integrity_notice_required / template_changed / "
                                       "commitment_already_signed")
    @blp.alt_response(422, description="commitment_item_not_applicable / template_placeholder_unfilled / approval_no_required")
    def post(self, data):
        """签署信用承诺：保存签署文本、样式版本、签署人和哈希，并立即登记到事项所属部门"""
        session = get_session()
        commitment = signing.sign_commitment(session, current_actor(), data.pop("item_id"), **data)
        return present_mine(session, [signing.my_letter(session, current_actor(), commitment.id)])[0]


@blp.route("/<int(max=2147483647):commitment_id>/letter.pdf")
class LetterPDF(MethodView):
    @blp.doc(security=SECURITY, responses={"200": {"description": "承诺书 PDF（A4）", "content": {"application/pdf": {}}}})
    @account_required
    @heavy_read
    def get(self, commitment_id: int):
        """承诺书 PDF：签署文本、签署人、日期、哈希和核验二维码"""
        session = get_session()
        c, letter = signing.my_letter(session, current_actor(), commitment_id)
        subject = public_subject(session, c.subject_id)
        depts = describe_departments(session, [c.department_id])
        facts = [
            ("承诺主体", subject["name"] + (f"（{subject['code']}）" if subject["code"] else "")),
            ("承诺类型", COMMITMENT_TYPE_LABELS[c.type]),
            ("登记部门", depts.get(c.department_id, {}).get("short_name") or ""),
            ("签署时间", signed_at_text(letter.signed_at)),
            ("签署方式", f"信用淮安区小程序（{IDENTITY_LABELS.get(letter.signer_identity_level, '未实名')}）"),
            ("承诺期限", chinese_date(c.valid_until) or "长期"),
            ("内容哈希（SHA-256）", letter.content_hash),
            ("样式版本", str(letter.template_version)),
        ]
        body = letter_pdf(title=c.matter, text=letter.text, facts=facts, verify_url=verify_url(letter.verify_code),
                          font_file=current_app.config.get("LETTER_FONT_PATH"))
        resp = current_app.response_class(body, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = f"inline; filename=commitment-{c.id}.pdf"
        resp.headers["Cache-Control"] = "private, no-store"
        return resp

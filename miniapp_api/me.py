"""Mini-program: me (我的) and 实名 binding (``/miniapp/v1/me``)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.sessions.schemas import SessionSchema
from backend.sessions.services import list_sessions
from backend.subjects import accounts
from backend.subjects.schemas import PersonMaskedSchema

blp = Blueprint("miniapp_me", __name__, url_prefix="/miniapp/v1/me", description="小程序：我的账号与实名认证")
SECURITY = [{"bearer": []}]


class MeQuerySchema(Schema):
    reveal = fields.Bool(load_default=False, metadata={"description": "true：显示本人完整姓名与身份证号码"})


class FirmLinkSchema(Schema):
    uscc = fields.Str(metadata={"description": "统一社会信用代码"})
    name = fields.Str()
    relation = fields.Str(metadata={"description": "legal_rep 法定代表人 / agent 授权经办人"})
    role_title = fields.Str()
    valid_until = fields.Date(allow_none=True, metadata={"description": "授权有效期至"})
    agency_id = fields.Int(allow_none=True)


class MeSchema(Schema):
    id = fields.Int()
    identity_level = fields.Str(metadata={"description": "none 未实名 / self_declared 本人声明 / verified 已核验"})
    has_identity = fields.Bool()
    identity_verified_at = fields.DateTime(allow_none=True)
    person = fields.Nested(PersonMaskedSchema, allow_none=True,
                           metadata={"description": "绑定的本人信息（默认脱敏；reveal=true 时显示完整信息）"})
    firms = fields.List(fields.Nested(FirmLinkSchema), metadata={"description": "可以代为办理的企业"})


class IdentityBindSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(max=100), metadata={"description": "与身份证一致的姓名"})
    id_number = fields.Str(required=True, validate=validate.Length(max=64),
                           metadata={"description": "18位身份证号码（可输入小写 x、全角字符和空格）"})


@blp.route("")
class Me(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.arguments(MeQuerySchema, location="query")
    @blp.response(200, MeSchema)
    def get(self, args):
        """我的账号：实名状态、本人信息（脱敏）、可以代为办理的企业。"""
        return accounts.describe_me(get_session(), current_actor(), reveal=args["reveal"])


@blp.route("/identity")
class Identity(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(IdentityBindSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(409, description="identity_bound_elsewhere / identity_already_bound")
    @blp.alt_response(422, description="id_check_digit … / identity_mismatch / identity_not_verified")
    @blp.alt_response(503, description="实名核验服务不可用（reason: identity_verifier_unavailable）")
    def post(self, args):
        """实名认证：绑定本人姓名与身份证号码。"""
        cfg = current_app.config
        session, actor = get_session(), current_actor()
        accounts.bind_identity(
            session, actor, name=args["name"], id_number=args["id_number"],
            verifier=accounts.load_configured_verifier(cfg.get("IDENTITY_VERIFIER") or "self_declared"),
            require_real=bool(cfg.get("REQUIRE_REAL_IDENTITY")),
        )
        return accounts.describe_me(session, actor)


@blp.route("/sessions")
class Sessions(MethodView):
    @account_required
    @blp.doc(security=SECURITY)
    @blp.response(200, SessionSchema(many=True))
    def get(self):
        """我的登录设备：正在使用的登录（设备、网络、时间；不含令牌）。"""
        return list_sessions(get_session(), current_actor())


@blp.route("/sessions/<int:session_id>")
class SessionDetail(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(404, description="不是本人的登录（reason: session_not_found）")
    def delete(self, session_id: int):
        """结束一个登录（该设备的令牌立即失效，包括本次请求所用的）。"""
        accounts.end_account_session(get_session(), current_actor(), session_id)

"""Staff login and staff accounts (``/staff/v1/auth``, ``/staff/v1/staff-users``).

Decorator order on every protected view: ``staff_required`` first (outermost), so a caller without a
valid token gets 401 before anything else looks at the request; then ``blp.arguments`` /
``blp.response``.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session, get_store
from backend.sessions.schemas import SessionSchema
from backend.sessions.services import end_own_session, list_sessions
from backend.staff import login as staff_login
from backend.staff import services as svc
from backend.staff.login_throttle import LoginThrottle
from backend.staff.models import ROLE_LABELS, Role

blp = Blueprint(
    "staff_auth", __name__, url_prefix="/staff/v1",
    description="工作人员登录与账号管理（信用办管理员可建号、停用）",
)
_SECURED = [{"bearer": []}]
_ADMIN = [Role.CREDIT_ADMIN]


class DepartmentBriefSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    short_name = fields.Str()
    org_type = fields.Function(lambda d: str(d.org_type))


class StaffUserSchema(Schema):
    id = fields.Int()
    username = fields.Str()
    display_name = fields.Str()
    role = fields.Function(lambda u: str(u.role))
    role_label = fields.Function(lambda u: ROLE_LABELS[Role(u.role)])
    department = fields.Nested(DepartmentBriefSchema, allow_none=True)
    active = fields.Bool()
    last_login_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class LoginSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    token = fields.Str()
    expires_in = fields.Int(metadata={"description": "令牌有效秒数"})
    user = fields.Nested(StaffUserSchema)


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    new_password = fields.Str(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class StaffUserCreateSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    display_name = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))
    department = fields.Str(load_default=None, validate=validate.Length(min=1, max=32),
                            metadata={"description": "所属单位代码，如 SCJG"})


class StaffUserQuerySchema(Schema):
    role = fields.Str(load_default=None, validate=validate.OneOf([r.value for r in Role]))
    department = fields.Str(load_default=None, validate=validate.Length(min=1, max=32))
    active = fields.Bool(load_default=None)


def _token_reply(user, token: str) -> dict:
    return {"token": token, "expires_in": current_app.config["STAFF_TOKEN_TTL"], "user": user}


def _client() -> staff_login.ClientInfo:
    return staff_login.ClientInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="用户名或密码错误（reason: invalid_credentials，不区分用户名是否存在）")
    @blp.alt_response(429, description="同一用户名在同一客户端连续失败，需等待 Retry-After 秒（reason: login_throttled）")
    def post(self, data):
        """工作人员登录（同一用户名在同一客户端连续失败后，等待时间逐次加长）"""
        cfg = current_app.config
        user, token = staff_login.authenticate_staff(
            get_session(), data["username"], data["password"], _client(),
            secret=cfg["SECRET_KEY"], ttl=cfg["STAFF_TOKEN_TTL"], throttle=LoginThrottle(get_store()),
        )
        return _token_reply(user, token)


@blp.route("/auth/logout")
class Logout(MethodView):
    @staff_required()
    @blp.response(204)
    @blp.doc(security=_SECURED)
    def post(self):
        """退出登录（本次登录的令牌立即失效）"""
        staff_login.logout_staff(get_session(), current_actor())


@blp.route("/auth/sessions")
class Sessions(MethodView):
    @staff_required()
    @blp.response(200, SessionSchema(many=True))
    @blp.doc(security=_SECURED)
    def get(self):
        """本人正在使用的登录（设备、网络、时间；不含令牌）"""
        return list_sessions(get_session(), current_actor())


@blp.route("/auth/sessions/<int:session_id>")
class SessionDetail(MethodView):
    @staff_required()
    @blp.response(204)
    @blp.alt_response(404, description="不是本人的登录（reason: session_not_found）")
    @blp.doc(security=_SECURED)
    def delete(self, session_id: int):
        """结束本人的一个登录（该令牌立即失效）"""
        end_own_session(get_session(), current_actor(), session_id)


@blp.route("/auth/me")
class Me(MethodView):
    @staff_required()
    @blp.response(200, StaffUserSchema)
    @blp.doc(security=_SECURED)
    def get(self):
        """当前登录的工作人员"""
        return svc.get_staff_user(get_session(), current_actor().id)


@blp.route("/auth/password")
class Password(MethodView):
    @staff_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=_SECURED)
    def post(self, data):
        """修改本人密码（旧令牌随即失效，返回新令牌）"""
        cfg = current_app.config
        user, token = staff_login.change_own_password(
            get_session(), current_actor(), current_password=data["current_password"],
            new_password=data["new_password"], client=_client(), secret=cfg["SECRET_KEY"], ttl=cfg["STAFF_TOKEN_TTL"],
            throttle=LoginThrottle(get_store()),
        )
        return _token_reply(user, token)


@blp.route("/staff-users")
class StaffUsers(MethodView):
    @staff_required(roles=_ADMIN)
    @blp.arguments(StaffUserQuerySchema, location="query")
    @blp.response(200, StaffUserSchema(many=True))
    @blp.doc(security=_SECURED)
    def get(self, query):
        """工作人员账号列表（信用办管理员）"""
        session = get_session()
        dept_id = svc.find_department_by_code(session, query["department"]).id if query["department"] else None
        return svc.list_staff_users(session, role=query["role"], department_id=dept_id, active=query["active"])

    @staff_required(roles=_ADMIN)
    @blp.arguments(StaffUserCreateSchema)
    @blp.response(201, StaffUserSchema)
    @blp.doc(security=_SECURED)
    def post(self, data):
        """新建工作人员账号（信用办管理员）"""
        session = get_session()
        dept_id = svc.find_department_by_code(session, data["department"]).id if data["department"] else None
        return svc.create_staff_user(
            session, current_actor(), username=data["username"], password=data["password"],
            display_name=data["display_name"], role=data["role"], department_id=dept_id,
        )


@blp.route("/staff-users/<int:user_id>")
class StaffUserDetail(MethodView):
    @staff_required(roles=_ADMIN)
    @blp.response(200, StaffUserSchema)
    @blp.doc(security=_SECURED)
    def get(self, user_id: int):
        """工作人员账号详情（信用办管理员）"""
        return svc.get_staff_user(get_session(), user_id)


@blp.route("/staff-users/<int:user_id>/deactivate")
class StaffUserDeactivate(MethodView):
    @staff_required(roles=_ADMIN)
    @blp.response(200, StaffUserSchema)
    @blp.doc(security=_SECURED)
    def post(self, user_id: int):
        """停用工作人员账号（其令牌立即失效）"""
        return svc.deactivate_staff(get_session(), current_actor(), user_id)

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
from backend.http.extensions import get_session
from backend.staff import services as svc
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


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """工作人员登录（连续5次密码错误锁定15分钟）"""
        user, token = svc.authenticate_staff(
            get_session(), data["username"], data["password"], request.remote_addr,
            secret=current_app.config["SECRET_KEY"],
        )
        return _token_reply(user, token)


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
        user = svc.change_password(
            get_session(), current_actor(),
            current_password=data["current_password"], new_password=data["new_password"],
        )
        return _token_reply(user, svc.issue_token(current_app.config["SECRET_KEY"], user))


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

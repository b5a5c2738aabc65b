"""Mini-program login (``/miniapp/v1/auth``): ``wx.login`` code → tokens, refresh, logout.

``session_key`` never leaves :mod:`backend.subjects.wechat`. The rate limits of login and of every
write come from backend/http/ratelimit.py (applied to these paths before the view runs).

Login and refresh are deliberately *not* ``@idempotent``: a replay would have to store the issued
tokens in plaintext (``idempotency_keys.response_body``), and refresh tokens are only ever stored
hashed. A retried login simply logs in again (a WeChat code is single-use: the retry gets
``wechat_code_invalid`` and the mini-program calls ``wx.login`` again). Logout is idempotent.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from backend.common.actor import Actor
from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.platform.errors import ServiceUnavailable
from backend.subjects import accounts

blp = Blueprint("miniapp_auth", __name__, url_prefix="/miniapp/v1/auth", description="小程序：登录与登录状态")
SECURITY = [{"bearer": []}]


class MiniappLoginSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=128),
                      metadata={"description": "wx.login 得到的临时登录凭证；开发环境可用 dev:<名字>"})


class MiniappRefreshSchema(Schema):
    refresh_token = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class MiniappLogoutSchema(Schema):
    refresh_token = fields.Str(load_default=None, validate=validate.Length(max=200),
                               metadata={"description": "只注销这一个；不填则注销本账号的全部登录"})


class AccountSummarySchema(Schema):
    id = fields.Int()
    identity_level = fields.Str(metadata={"description": "none 未实名 / self_declared 本人声明 / verified 已核验"})
    has_identity = fields.Bool(metadata={"description": "是否已绑定实名信息"})


class MiniappTokenPairSchema(Schema):
    access_token = fields.Str()
    token_type = fields.Str()
    expires_in = fields.Int(metadata={"description": "access_token 有效秒数"})
    refresh_token = fields.Str(metadata={"description": "只能使用一次，刷新后换成新的"})
    refresh_expires_in = fields.Int()
    account = fields.Nested(AccountSummarySchema)


def _settings() -> accounts.TokenSettings:
    cfg = current_app.config
    return accounts.TokenSettings(cfg["SECRET_KEY"], cfg["ACCESS_TOKEN_TTL"], cfg["REFRESH_TOKEN_TTL"],
                                  user_agent=request.headers.get("User-Agent"))


def _pair(result: accounts.LoginResult) -> dict:
    return {
        "access_token": result.access_token, "token_type": "Bearer", "expires_in": result.expires_in,
        "refresh_token": result.refresh_token, "refresh_expires_in": result.refresh_expires_in,
        "account": accounts.account_summary(result.account),
    }


def _anonymous() -> Actor:
    return Actor("anonymous", ip=request.remote_addr)


def miniapp_client():
    """The app's WeChat mini-program client (one per app; the access token is shared via Redis)."""
    from backend.subjects.wechat import MiniappClient, make_storage

    client = current_app.extensions.get("wechat_miniapp")
    if client is None:
        cfg = current_app.config
        client = MiniappClient(cfg["WECHAT_MINIAPP_APPID"], cfg["WECHAT_MINIAPP_SECRET"],
                               api_base=cfg.get("WECHAT_API_BASE") or "", storage=make_storage(cfg.get("REDIS_URL") or ""))
        current_app.extensions["wechat_miniapp"] = client
    return client


def resolve_code(code: str) -> accounts.WeChatIdentity:
    cfg = current_app.config
    configured = bool(cfg.get("WECHAT_MINIAPP_APPID"))
    who = accounts.dev_identity(code, enabled=not configured and cfg.get("ENV") != "production")
    if who is not None:
        return who
    if not configured:
        raise ServiceUnavailable("wechat_not_configured", "微信登录尚未开通，请稍后再试。")
    return miniapp_client().code_to_session(code)


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(MiniappLoginSchema)
    @blp.response(200, MiniappTokenPairSchema)
    @blp.alt_response(422, description="登录凭证无效或已过期（reason: wechat_code_invalid）")
    @blp.alt_response(403, description="开发登录已关闭（reason: dev_login_disabled）")
    @blp.alt_response(429, description="微信接口限流（reason: wechat_rate_limited，带 Retry-After）")
    @blp.alt_response(503, description="暂时无法连接微信（reason: wechat_unavailable）")
    def post(self, args):
        """用 wx.login 的 code 登录（首次登录自动开户），返回 access_token 与 refresh_token。"""
        who = resolve_code(args["code"])
        return _pair(accounts.login(get_session(), _anonymous(), who, _settings()))


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(MiniappRefreshSchema)
    @blp.response(200, MiniappTokenPairSchema)
    @blp.alt_response(401, description="refresh_invalid / refresh_expired / refresh_revoked / refresh_reused")
    def post(self, args):
        """用 refresh_token 换一对新的令牌（旧的随即作废；重复使用会注销全部登录）。"""
        return _pair(accounts.refresh(get_session(), _anonymous(), args["refresh_token"], _settings()))


@blp.route("/logout")
class Logout(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(MiniappLogoutSchema)
    @blp.response(204)
    def post(self, args):
        """退出登录：结束本次登录（当前 access_token 立即失效）；不填 refresh_token 则结束本账号的全部登录。"""
        accounts.logout(get_session(), current_actor(), args.get("refresh_token"))

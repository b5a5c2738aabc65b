"""The session list's shape (mini-program and staff alike): coarse client facts and times, no token."""

from __future__ import annotations

from marshmallow import Schema, fields


class SessionSchema(Schema):
    id = fields.Int()
    device = fields.Str(metadata={"description": "设备（粗略，如 iPhone · 微信）"})
    ip_prefix = fields.Str(allow_none=True, metadata={"description": "登录网络（IPv4 /24、IPv6 /48），不含完整地址"})
    created_at = fields.DateTime(metadata={"description": "登录时间"})
    refreshed_at = fields.DateTime(allow_none=True, metadata={"description": "最近一次续期"})
    expires_at = fields.DateTime(metadata={"description": "不续期时的失效时间"})
    current = fields.Bool(metadata={"description": "是否本次请求所用的登录"})

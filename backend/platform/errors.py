"""Domain errors: a refusal with an HTTP status, a stable ``reason`` and a plain Chinese ``message``.

``reason`` is a stable machine string; ``message`` is plain Chinese for the person in front of
the phone or the console. Services raise these and import no Flask; ``backend.http.errors`` turns
them into the one JSON error shape ``{code, status, message, reason, errors}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can understand. ``status`` is the HTTP status a view should answer."""

    status = 422
    reason = "invalid"
    message = "提交的信息有误，请检查后重试。"

    def __init__(
        self,
        reason: str | None = None,
        message: str | None = None,
        *,
        status: int | None = None,
        errors: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.reason = reason or self.reason
        self.message = message or self.message
        self.status = status or self.status
        self.errors = errors
        self.headers = headers or {}
        super().__init__(f"{self.reason}: {self.message}")


class ValidationFailed(DomainError):
    status = 422
    reason = "validation_failed"
    message = "提交的信息有误，请检查后重试。"


class NotFound(DomainError):
    status = 404
    reason = "not_found"
    message = "没有找到相关信息。"


class Unauthorized(DomainError):
    status = 401
    reason = "unauthorized"
    message = "请先登录。"


class Forbidden(DomainError):
    status = 403
    reason = "forbidden"
    message = "您没有权限进行此操作。"


class Conflict(DomainError):
    status = 409
    reason = "conflict"
    message = "该操作与当前状态冲突，请刷新后重试。"


class TooManyRequests(DomainError):
    status = 429
    reason = "rate_limited"
    message = "操作太频繁，请稍后再试。"


class ServiceUnavailable(DomainError):
    status = 503
    reason = "service_unavailable"
    message = "服务暂时不可用，请稍后再试。"


class InvalidJSON(DomainError):
    status = 400
    reason = "invalid_json"
    message = "提交的内容不是有效的 JSON 格式，请检查后重试。"


class UnsupportedMediaType(DomainError):
    status = 415
    reason = "unsupported_media_type"
    message = "请以 JSON 格式提交。"

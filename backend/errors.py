"""Domain errors and the one JSON error shape: ``{code, status, message, reason, errors}``.

``reason`` is a stable machine string; ``message`` is plain Chinese for the person in front of
the phone or the console. Services raise these; views never build error bodies by hand.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


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


# Plain Chinese for the HTTP errors Flask/werkzeug raise on their own.
_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "您没有权限进行此操作。"),
    404: ("not_found", "没有找到相关信息。"),
    405: ("method_not_allowed", "不支持该请求方式。"),
    409: ("conflict", "该操作与当前状态冲突，请刷新后重试。"),
    413: ("payload_too_large", "提交的内容太大。"),
    415: ("unsupported_media_type", "请以 JSON 格式提交。"),
    422: ("validation_failed", "提交的信息有误，请检查后重试。"),
    429: ("rate_limited", "操作太频繁，请稍后再试。"),
}


def error_body(status: int, reason: str, message: str, errors: Any = None) -> dict:
    return {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
        "reason": reason,
        "errors": errors or {},
    }


def _response(status: int, reason: str, message: str, errors: Any = None, headers=None):
    resp = jsonify(error_body(status, reason, message, errors))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return _response(err.status, err.reason, err.message, err.errors, err.headers)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        reason, message = _HTTP_MESSAGES.get(status, ("http_error", "请求无法处理。"))
        errors = None
        data = getattr(err, "data", None)  # webargs/flask-smorest put field messages here
        if isinstance(data, dict):
            errors = data.get("messages") or data.get("errors")
            if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "headers", "files", "path", "view_args"} and len(errors) == 1:
                errors = next(iter(errors.values()))
        headers = {}
        if status == 429:
            from backend.ratelimit import retry_after_seconds

            # Seconds until the breached window resets, not a fixed guess.
            headers = {"Retry-After": str(retry_after_seconds(err))}
        if status == 405:
            headers = {k: v for k, v in err.get_headers() if k.lower() == "allow"}
        return _response(status, reason, message, errors, headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        return _response(500, "internal_error", "系统开小差了，请稍后再试。")

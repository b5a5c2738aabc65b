"""The one JSON error shape for every error: ``{code, status, message, reason, errors}``.

Domain errors (``backend.platform.errors``) carry their status and reason; this module renders
them, and the HTTP errors Flask and werkzeug raise on their own, with plain Chinese messages.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from werkzeug.exceptions import HTTPException

from backend.common.messages import translate_errors
from backend.common.privacy import mask_personal, mask_tree
from backend.platform.errors import DomainError

log = logging.getLogger(__name__)


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


# PostgreSQL SQLSTATEs of values it refused (the same reasons as the checks that should catch them first).
_DATA_ERRORS = {
    "22003": ("number_too_large", "填写的数字太大，请检查后重试。"),  # numeric_value_out_of_range
    "22001": ("value_too_long", "填写的内容太长，请删减后重试。"),  # string_data_right_truncation
    "22021": ("invalid_character", "提交的内容含有无法识别的字符，请删除后重试。"),  # character_not_in_repertoire
}
_DATA_ERROR_DEFAULT = ("invalid_value", "提交的内容格式不正确，请检查后重试。")


def error_body(status: int, reason: str, message: str, errors: Any = None) -> dict:
    # Backstop for refusals that would quote input (a library's message, an unknown field's name):
    # nothing that looks like an ID number or a phone leaves in an error (backend/common/privacy.py).
    return {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": mask_personal(message),
        "reason": reason,
        # Field messages from marshmallow/webargs come in English: the same plain Chinese everywhere.
        "errors": mask_tree(translate_errors(errors)) if errors else {},
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
        if status == 400 and errors == ["Invalid JSON body."]:  # webargs could not read the body
            reason, message = "invalid_json", "提交的内容不是有效的 JSON 格式，请检查后重试。"
        headers = {}
        if status == 429:
            from backend.http.ratelimit import retry_after_seconds

            # Seconds until the breached window resets, not a fixed guess.
            headers = {"Retry-After": str(retry_after_seconds(err))}
        if status == 405:
            headers = {k: v for k, v in err.get_headers() if k.lower() == "allow"}
        return _response(status, reason, message, errors, headers)

    @app.errorhandler(DataError)
    def _data_error(err: DataError):
        # The database refused a value (too long for its column, out of range, a NUL character):
        # bad input that no schema caught. The person gets a 422; the log says which schema to tighten.
        log.warning("database refused a value (tighten the schema): %s", str(err.orig).splitlines()[0] if err.orig else err)
        reason, message = _DATA_ERRORS.get(getattr(err.orig, "sqlstate", None) or "", _DATA_ERROR_DEFAULT)
        return _response(422, reason, message)

    @app.errorhandler(OverflowError)
    def _overflow(err: OverflowError):
        # A number too large for a date, a timedelta or a 64-bit column (page=10**22 → OFFSET):
        # always an input no schema bounded. The log says which.
        log.warning("number out of range answered as 422: %s", err)
        return _response(422, "number_too_large", "填写的数字太大，请检查后重试。")

    @app.errorhandler(StatementError)
    def _statement_error(err: StatementError):
        # SQLAlchemy wraps what a bind parameter's conversion raised: a date at the edge of the
        # calendar (0001-01-01 00:00 Beijing time is year 0 in UTC) overflows there, not in the view.
        # (DataError and IntegrityError, its subclasses, keep their own handlers.)
        if isinstance(err.orig, OverflowError):
            return _overflow(err.orig)
        return _unexpected(err)

    @app.errorhandler(IntegrityError)
    def _integrity_error(err: IntegrityError):
        # A flush inside a service lost a race for a unique thing (the commit point in backend.http.pipeline
        # answers the same at commit time), or a reference did not exist.
        log.warning("integrity error answered as 409: %s", str(err.orig).splitlines()[0] if err.orig else err)
        return _response(409, "conflict", "该操作已被处理或与当前状态冲突，请刷新后重试。")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        return _response(500, "internal_error", "系统开小差了，请稍后再试。")

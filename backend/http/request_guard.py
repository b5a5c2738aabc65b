"""Refuse malformed requests at the door, for every endpoint, before any view or service runs.

What a person or another system can get wrong in the *envelope* of a request is checked here once,
so that no endpoint can turn it into a 500 deep inside a driver or a parser:

- a NUL character (U+0000) anywhere in a JSON body or a form's fields, keys or values: PostgreSQL
  cannot store it in text (psycopg: "A string literal cannot contain NUL characters") → 422
  ``nul_character`` (the path and the query are checked by backend.http.pipeline);
- a lone UTF-16 surrogate in a JSON body (``"\\ud800"`` is valid JSON, yet no database or encoder
  can store it) → 422 ``invalid_character``;
- a JSON body that is not JSON, not UTF-8, or nested so deep that the parser gives up
  (``RecursionError``) → 400 ``invalid_json``;
- a body of another media type sent to an endpoint that declares what it accepts (a JSON-only
  endpoint sent ``text/plain`` or a form) → 415 ``unsupported_media_type``;
- a streamed (chunked) body larger than ``MAX_CONTENT_LENGTH``: werkzeug stops reading at the limit
  without saying so, and the cut JSON looked invalid (400) → 413 ``payload_too_large``;
- a request line or one header field longer than the app accepts (``MAX_REQUEST_TARGET``,
  ``MAX_HEADER_FIELD``) → 414 ``uri_too_long`` / 431 ``header_too_large``, in the JSON shape. gunicorn's
  own limits (gunicorn.conf.py) sit just above these, so it is the app that answers; what is longer
  still is the reverse proxy's to refuse.

The accepted media types come from the OpenAPI declaration that flask-smorest keeps on the view
(``@blp.arguments(…)`` → JSON, or ``@blp.doc(requestBody={"content": …})``), so a new endpoint is
covered without a line here. Endpoints that declare nothing (the WeChat webhook's XML) are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from backend.platform.errors import DomainError, InvalidJSON, UnsupportedMediaType, ValidationFailed

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
# Only a \u escape can put a NUL or a lone surrogate into parsed JSON: raw control characters are
# invalid JSON and raw surrogates are invalid UTF-8. No such escape in the body: nothing to walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_MESSAGE = "提交的内容含有无法识别的字符（空字符），请删除后重试。"
# Longest path + query (bytes) and longest single header field (name + value) the app serves.
# gunicorn.conf.py sets limit_request_line / limit_request_field_size above these.
MAX_REQUEST_TARGET = 8000
MAX_HEADER_FIELD = 8000


def guard_request() -> None:
    """Called on every request by the request pipeline (backend/http/pipeline.py), after the rate limiter."""
    # NUL in the path or the query is refused earlier, by backend.http.pipeline (raw environ, every request).
    check_envelope(request.environ)
    if request.method not in BODY_METHODS:
        return
    accepted = declared_media_types(request.endpoint)
    has_body = bool(request.content_length) or bool(request.get_data(cache=True))
    if has_body and request.content_length is None:
        limit = request.max_content_length
        if limit is not None and len(request.get_data(cache=True)) >= limit:
            raise RequestEntityTooLarge()  # the stream was cut at the limit: there was more
    if accepted and has_body and not _accepts(accepted, request.mimetype):
        raise UnsupportedMediaType(
            errors={"content_type": [f"应为 {' 或 '.join(sorted(accepted))}，收到的是 {request.mimetype or '（未注明）'}。"]})
    if has_body and request.is_json:
        check_json_body()
    elif has_body and request.mimetype in _FORM_TYPES:
        if any("\x00" in (k or "") or "\x00" in (v or "") for k, v in request.form.items(multi=True)):
            raise ValidationFailed("nul_character", NUL_MESSAGE)


def check_envelope(environ: dict) -> None:
    """414 for an over-long request line, 431 for an over-long header field (cheap: lengths only)."""
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > MAX_REQUEST_TARGET:
        raise DomainError("uri_too_long", "请求地址太长，请减少查询条件后重试。", status=414)
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str) and len(key) + len(value) > MAX_HEADER_FIELD:
            raise DomainError("header_too_large", "请求头太大，请清除浏览器数据或重新登录后重试。", status=431)


def check_json_body() -> Any:
    """Parse the JSON body once (Flask caches it for ``request.get_json``) and refuse what cannot be stored."""
    try:
        payload = request.get_json()
    except BadRequest:
        raise InvalidJSON(errors={"json": ["不是有效的 JSON（请使用 UTF-8 编码）。"]}) from None
    except RecursionError:
        raise InvalidJSON("json_too_deep", "提交的内容层级过深，无法处理。") from None
    if _SUSPECT_ESCAPE.search(request.get_data(cache=True)):
        bad = _find_unstorable(payload)
        if bad == "nul":
            raise ValidationFailed("nul_character", NUL_MESSAGE)
        if bad == "surrogate":
            raise ValidationFailed("invalid_character", "提交的内容含有无法识别的字符，请删除后重试。")
    return payload


def _find_unstorable(payload: Any) -> str | None:
    """``"nul"`` or ``"surrogate"`` if any key or string in ``payload`` holds one (iterative: no recursion)."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "nul"
            if _LONE_SURROGATE.search(item):
                return "surrogate"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _accepts(accepted: frozenset[str], mimetype: str) -> bool:
    if mimetype in accepted:
        return True
    return "application/json" in accepted and (mimetype == "application/json" or mimetype.endswith("+json"))


def declared_media_types(endpoint: str | None) -> frozenset[str]:
    """The request body media types the view for ``endpoint`` and this method declares (empty: not declared)."""
    if endpoint is None:
        return frozenset()
    cache = current_app.extensions.setdefault("declared_media_types", {})
    key = (endpoint, request.method)
    if key not in cache:
        cache[key] = _declared(current_app.view_functions.get(endpoint), request.method.lower())
    return cache[key]


def _declared(view: Any, method: str) -> frozenset[str]:
    view_class = getattr(view, "view_class", None)
    func = getattr(view_class, method, None) if view_class is not None else view
    apidoc = getattr(func, "_apidoc", None) or {}
    types: set[str] = set()
    for param in (apidoc.get("arguments") or {}).get("parameters", []):
        location = param.get("in")
        if location == "json":
            types.add("application/json")
        elif location in ("form", "files"):
            types.update({"multipart/form-data", "application/x-www-form-urlencoded"})
        elif location == "json_or_form":
            types.update({"application/json", "multipart/form-data", "application/x-www-form-urlencoded"})
    body = ((apidoc.get("manual_doc") or {}).get("requestBody") or {}).get("content") or {}
    types.update(body)
    return frozenset(types)

"""HTTP side of the card views (mini-program and public): the app's card cache and conditional
responses.

Every card response carries an ``ETag`` (werkzeug's, a hash of the body: it changes whenever the
card's content does) and ``Cache-Control: no-cache`` (a client may keep the card but asks again
each time); a client that sends ``If-None-Match`` with the current tag gets ``304 Not Modified``
with no body (werkzeug's ``make_conditional``). Private cards are ``private`` (no shared cache
may keep them), the public firm card ``public``.
"""

from __future__ import annotations

from flask import Response, current_app, request

from backend.cards.cache import CardCache

NOT_MODIFIED = "客户端的副本仍是最新（If-None-Match 与 ETag 相同），无响应体"  # the 304 in the API docs


def card_cache() -> CardCache:
    """The app's card cache (``create_app`` builds it on the app's key-value store)."""
    return current_app.extensions["card_cache"]


def card_response(body: bytes, *, public: bool = False) -> Response:
    """``body`` (card JSON) as a conditional response: 200 with an ETag, or 304 when it matches."""
    resp = current_app.response_class(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "public, no-cache" if public else "private, no-cache"
    resp.add_etag()
    return resp.make_conditional(request)

"""Signed, short-lived bearer tokens (itsdangerous); no Flask import, the secret is passed in."""

from __future__ import annotations

import functools
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.platform.errors import Unauthorized

# Token purposes (itsdangerous salts): a token made for one purpose never verifies for another.
ACCOUNT_TOKEN = "miniapp-access"  # mini-program access token, payload {"a": account id, "sid": session id}
STAFF_TOKEN = "staff-access"  # staff console token, payload {"s": staff id, "v": token_version, "sid": session id}


@functools.lru_cache(maxsize=32)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    # One per (secret, purpose): building it (key list, signer kwargs, JSON serializer) cost more
    # than checking a token, on every request. A serializer keeps no state between calls.
    return URLSafeTimedSerializer(secret, salt=purpose)


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(secret, purpose).dumps(payload)


def verify(secret: str, purpose: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = _serializer(secret, purpose).loads(token, max_age=max_age)
        return payload
    except SignatureExpired:
        raise Unauthorized("token_expired", "登录已过期，请重新登录。") from None
    except BadSignature:
        raise Unauthorized("token_invalid", "登录信息无效，请重新登录。") from None

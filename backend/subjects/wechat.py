"""WeChat mini-program login (code2session) through wechatpy: the one module that imports wechatpy.

A thin adapter: :class:`MiniappClient` turns a ``wx.login`` code into a :class:`WeChatIdentity`
(openid, unionid) and turns every WeChat failure into a :class:`backend.platform.errors.DomainError` the
user can understand. ``session_key`` is dropped here, the moment WeChat sends it: it never
reaches the services, the database, a log line or the client.

wechatpy's ``code_to_session`` first fetches an access token (``/cgi-bin/token``). The token lives
in wechatpy's session storage: Redis (``RedisStorage``, prefix ``wechat``) when ``REDIS_URL`` is set,
so every node shares one token; process memory otherwise. wechatpy's own retry on an invalid
token recurses without bound, so it is switched off and :meth:`MiniappClient.code_to_session`
retries once itself after dropping the stored token.
"""

from __future__ import annotations

import logging

import requests
from redis.exceptions import RedisError
from wechatpy.client import WeChatClient
from wechatpy.client.api import WeChatWxa
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from backend.platform.errors import DomainError, ServiceUnavailable, TooManyRequests
from backend.subjects.accounts import WeChatIdentity

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com/"
# Errors documented for /cgi-bin/token and /sns/jscode2session.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # access token invalid / not the latest / expired
CODE_ERRORS = frozenset({40029, 40163})  # code invalid / code already used
RATE_ERRORS = frozenset({45009, 45011})  # daily / per-minute quota reached
BLOCKED_USER = 40226  # 高风险等级用户，小程序登录拦截
RATE_RETRY_AFTER = 60  # 45011 is a per-minute quota


class _Wxa(WeChatWxa):
    """``wxa`` API whose base URL follows the client's (for a local fake WeChat)."""

    @property
    def API_BASE_URL(self):  # noqa: N802 - wechatpy's attribute name
        return self._client.wechat_base


class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout: give every request one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


class _Client(WeChatClient):
    wxa = _Wxa()

    def __init__(self, appid, secret, *, api_base, session, timeout):
        self.wechat_base = api_base
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base + "cgi-bin/"
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.wechat_base + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def make_storage(redis_url: str = ""):
    """wechatpy session storage: shared Redis when configured, process memory otherwise."""
    if redis_url:
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisStorage(client, prefix="wechat")
    return MemoryStorage()


class WeChatCodeInvalid(DomainError):
    status = 422
    reason = "wechat_code_invalid"
    message = "登录凭证无效或已过期，请重新进入小程序"


class MiniappClient:
    """``code_to_session`` for one mini-program (appid/secret), errors mapped to domain errors."""

    def __init__(self, appid: str, secret: str, *, api_base: str = "", storage=None, timeout: float = 5) -> None:
        base = (api_base or DEFAULT_API_BASE).rstrip("/") + "/"
        self._client = _Client(appid, secret, api_base=base, session=storage or MemoryStorage(), timeout=timeout)

    def _forget_token(self) -> None:
        self._client.session.delete(self._client.access_token_key)
        self._client.expires_at = None

    def code_to_session(self, code: str) -> WeChatIdentity:
        """Resolve a ``wx.login`` code. Raises 422/403/429/502/503 domain errors on failure."""
        for attempt in (1, 2):
            try:
                result = self._client.wxa.code_to_session(code)
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    log.info("WeChat access token rejected (%s); fetching a new one", exc.errcode)
                    self._forget_token()
                    continue
                raise _domain_error(exc) from None
            except (requests.RequestException, RedisError) as exc:
                log.warning("WeChat (or the token store) unreachable: %s", type(exc).__name__)
                raise _unavailable() from None
            return _identity(result)
        raise AssertionError("unreachable")  # pragma: no cover


def _identity(result) -> WeChatIdentity:
    if not isinstance(result, dict) or not result.get("openid"):
        log.error("WeChat jscode2session answered without an openid")
        raise _unavailable()
    # result also holds session_key: it is not copied anywhere.
    return WeChatIdentity(openid=str(result["openid"]), unionid=(str(result["unionid"]) if result.get("unionid") else None))


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("wechat_unavailable", "暂时无法连接微信，请稍后再试。")


def _domain_error(exc: WeChatClientException) -> DomainError:
    code = exc.errcode
    if code in CODE_ERRORS:
        return WeChatCodeInvalid()
    if code in RATE_ERRORS:
        return TooManyRequests("wechat_rate_limited", "登录人数较多，请稍后再试。",
                               headers={"Retry-After": str(RATE_RETRY_AFTER)})
    if code == BLOCKED_USER:
        return DomainError("wechat_user_blocked", "您的微信账号暂时无法登录，请联系微信客服。", status=403)
    # HTTP failures (errcode None), system busy (-1), configuration errors (bad appid/secret …).
    log.error("WeChat login failed: errcode=%s errmsg=%s", code, exc.errmsg)
    return _unavailable()

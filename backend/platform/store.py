"""A small cache and key-value store: Redis when ``REDIS_URL`` is set, in-process otherwise.

Used for the card cache, idempotency replays, dialogue state and the WeChat access token, so the
same code runs on one laptop and on several nodes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from backend.platform.outage import Outage

log = logging.getLogger(__name__)
_DOWN = object()  # what RedisStore._call returns when Redis did not answer


class KeyValue(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes | str, ttl: int | None = None) -> bool: ...
    def add(self, key: str, value: bytes | str, ttl: int | None = None) -> bool: ...
    def delete(self, *keys: str) -> None: ...
    def incr(self, key: str, ttl: int | None = None) -> int: ...
    def ping(self) -> bool: ...


def _b(v: bytes | str) -> bytes:
    return v if isinstance(v, bytes) else v.encode()


class MemoryStore:
    """Process-local store for the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._lock = threading.Lock()

    def _alive(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item and item[1] is not None and item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._alive(key)
            return item[0] if item else None

    def set(self, key: str, value: bytes | str, ttl: int | None = None) -> bool:
        with self._lock:
            self._data[key] = (_b(value), time.monotonic() + ttl if ttl else None)
        return True

    def add(self, key: str, value: bytes | str, ttl: int | None = None) -> bool:
        with self._lock:
            if self._alive(key):
                return False
            self._data[key] = (_b(value), time.monotonic() + ttl if ttl else None)
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._data.pop(k, None)

    def incr(self, key: str, ttl: int | None = None) -> int:
        with self._lock:
            item = self._alive(key)
            n = int(item[0]) + 1 if item else 1
            expires = item[1] if item else (time.monotonic() + ttl if ttl else None)
            self._data[key] = (str(n).encode(), expires)
            return n

    def ping(self) -> bool:
        return True

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class StoreUnavailable(RuntimeError):
    """Redis did not answer an operation whose caller must know (``add``, ``incr``, ``ping``)."""


class RedisStore:
    """The shared store on Redis.

    It is a cache first: while Redis does not answer, ``get`` misses and ``set`` / ``delete`` are
    dropped (``set`` says so by returning False), so a request carries on from the database; ``add`` and ``incr`` raise
    :class:`StoreUnavailable`, whose callers must decide. The outage is logged once when it starts
    and once, with a count, when Redis answers again (:class:`~backend.platform.outage.Outage`), not
    per request, and during it Redis is tried again every few seconds rather than on every call.
    """

    def __init__(self, url: str, prefix: str = "credit:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.outage = Outage("key-value store (Redis)", log)
        self._errors = (redis.RedisError, OSError)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def _call(self, op: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``op`` on Redis; ``_DOWN`` if Redis is down (counted and logged by the outage)."""
        if not self.outage.should_try():
            self.outage.failed()
            return _DOWN
        try:
            result = op(*args, **kwargs)
        except self._errors as exc:
            self.outage.failed(exc)
            return _DOWN
        self.outage.recovered()
        return result

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self._call(self.client.get, self._k(key))
        return None if value is _DOWN else value

    def set(self, key: str, value: bytes | str, ttl: int | None = None) -> bool:
        """Store ``value``; False when Redis did not answer (the write is dropped, not raised)."""
        return self._call(self.client.set, self._k(key), _b(value), ex=ttl) is not _DOWN

    def add(self, key: str, value: bytes | str, ttl: int | None = None) -> bool:
        return bool(self._must(self._call(self.client.set, self._k(key), _b(value), ex=ttl, nx=True)))

    def delete(self, *keys: str) -> None:
        if keys:
            self._call(self.client.delete, *[self._k(k) for k in keys])

    def incr(self, key: str, ttl: int | None = None) -> int:
        pipe = self.client.pipeline()
        pipe.incr(self._k(key))
        if ttl:
            pipe.expire(self._k(key), ttl, nx=True)
        return int(self._must(self._call(pipe.execute))[0])

    def ping(self) -> bool:
        return bool(self._must(self._call(self.client.ping)))

    def _must(self, result: Any) -> Any:
        if result is _DOWN:
            raise StoreUnavailable("Redis is not answering")
        return result


def make_store(redis_url: str | None) -> KeyValue:
    """Redis at ``redis_url`` when given, else a process-local store (``create_app`` keeps it)."""
    return RedisStore(redis_url) if redis_url else MemoryStore()

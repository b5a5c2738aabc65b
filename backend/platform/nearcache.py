"""Process-local copies of hot Redis keys, kept exact by Redis itself (server-assisted client-side
caching, Redis ≥ 6 ``CLIENT TRACKING … BCAST``).

Every mini-program request needs the account state, a tiny key, and a Redis round trip costs more
than the rest of a cached read. So each process keeps
copies of the keys under a few prefixes, and one dedicated connection per process receives Redis's
invalidation messages for *every* change of a key under those prefixes, from any node. Before a
copy is served, the messages already received are applied (a non-blocking read), so a change whose
``SET`` has returned to its writer is not served stale on any node once its message has arrived —
on one host, before the writer's next request, in practice; across hosts, within the network delay.
(One thread of a process reads the listener at a time; a reader that finds it busy relies on that
thread's read — the same instant, give or take microseconds.)

Safety rules:

- a copy is stored only if no invalidation of that key arrived while it was being read
  (a per-key read token, dropped by the invalidation);
- the listener is checked with a PING every ``HEALTH_EVERY`` s; no answer within ``DEAD_AFTER`` s,
  a closed connection or any error drops every copy and reads go straight to Redis until it is
  back (retried once a second) — a lost listener never means stale copies;
- ``FLUSHDB``/``FLUSHALL`` (a null message) drops every copy; copies also expire after ``ttl``.

``NEAR_CACHE=0`` (or a Redis without ``CLIENT TRACKING``) turns it off: reads go to Redis.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Iterable, Sequence

log = logging.getLogger(__name__)

CHANNEL = b"__redis__:invalidate"
HEALTH_EVERY = 1.0
DEAD_AFTER = 2.0
RETRY_EVERY = 1.0
DEFAULT_TTL = 60.0
DEFAULT_MAXSIZE = 100_000


class NearCache:
    def __init__(self, url: str, client, prefixes: Sequence[str], *, ttl: float = DEFAULT_TTL,
                 maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.url, self.client, self.prefixes = url, client, tuple(prefixes)
        self.ttl, self.maxsize = ttl, maxsize
        self._lock = threading.Lock()  # the copies (_data, _reading): held for dict work only, never across I/O
        self._io = threading.Lock()  # the listener's socket: connect, poll, read, ping
        self._live = False  # the listener is connected and healthy (copies may be served)
        self._data: dict[bytes, tuple[float, bytes | None]] = {}
        self._reading: dict[bytes, object] = {}
        self._listener = None  # redis.Redis, single connection, RESP2, subscribed
        self._poll = None
        self._pid = 0
        self._retry_at = 0.0
        self._ping_at = 0.0
        self._pong_due: float | None = None
        self._unsupported = False

    # --- reads ---------------------------------------------------------------------------

    def mget(self, keys: list[str], also: Sequence[str] = ()) -> list[bytes | None]:
        """Values of ``keys`` (full Redis names): local copies when all are held, else one MGET.

        ``also``: keys outside the near cache's prefixes read in the same round trip whenever one
        is needed (their values follow ``keys``'; never copied). With ``also`` there is always a
        round trip, and the copies of ``keys`` are refreshed by it.
        """
        if not all(k.startswith(self.prefixes) for k in keys):  # untracked keys would never be invalidated
            raise ValueError(f"near cache holds only keys under {self.prefixes}")
        bkeys = [k.encode() for k in keys]
        token = None
        if self._sync():
            with self._lock:
                now = time.monotonic()
                out: list[bytes | None] = []
                for k in bkeys:
                    item = self._data.get(k)
                    if item is None or item[0] <= now:
                        break
                    out.append(item[1])
                else:
                    if not also:
                        return out
                token = object()
                for k in bkeys:
                    self._reading[k] = token
        values = self.client.mget([*keys, *also])
        if token is not None:
            with self._lock:
                expires = time.monotonic() + self.ttl
                for k, v in zip(bkeys, values[:len(bkeys)], strict=True):
                    if self._reading.get(k) is token:
                        del self._reading[k]
                        self._data[k] = (expires, v)
                while len(self._data) > self.maxsize:
                    del self._data[next(iter(self._data))]
        return values

    @property
    def live(self) -> bool:
        """Whether copies may be served (the listener is healthy), as of the last read."""
        return self._live

    def peek(self, key: str) -> tuple[bool, bytes | None]:
        """``(True, value)`` if a copy of ``key`` is held and may be served, else ``(False, None)``;
        never a round trip."""
        if not self._sync():
            return False, None
        with self._lock:
            item = self._data.get(key.encode())
            if item is None or item[0] <= time.monotonic():
                return False, None
            return True, item[1]

    def discard(self, keys: Iterable[str]) -> None:
        """Forget local copies at once (this process's own writes; Redis's message follows)."""
        with self._lock:
            for k in keys:
                bk = k.encode()
                self._data.pop(bk, None)
                self._reading.pop(bk, None)

    def clear(self) -> None:
        self._drop_all()

    # --- the listener ----------------------------------------------------------------------------
    #
    # Its socket is read by whichever request thread comes along, under ``_io`` and never under
    # ``_lock``: a poll or a read releases the GIL, and a thread holding the copies' lock while it
    # waits to get the GIL back would stall every other request thread of the process.

    def _sync(self) -> bool:
        """Apply the invalidations that have arrived; True if copies may be served."""
        if self._unsupported:
            return False
        if not self._io.acquire(blocking=False):
            # Another thread is reading the listener at this instant and applies what has arrived.
            return self._live
        try:
            self._live = self._listening()
            return self._live
        finally:
            self._io.release()

    def _drop_all(self) -> None:
        with self._lock:
            self._data.clear()
            self._reading.clear()

    def _listening(self) -> bool:  # with ``_io`` held
        if self._pid != os.getpid():  # a forked worker: the parent's socket is not ours
            self._listener, self._pid = None, os.getpid()
            self._drop_all()
        now = time.monotonic()
        if self._listener is None:
            if now < self._retry_at:
                return False
            self._retry_at = now + RETRY_EVERY
            try:
                self._connect()
            except Exception as exc:
                self._close()
                if "tracking" in str(exc).lower() or "unknown" in str(exc).lower():
                    self._unsupported = True
                log.warning("near cache: cannot listen to Redis invalidations (%s); reading Redis directly", exc)
                return False
        try:
            self._drain()
            if self._pong_due is not None and now > self._pong_due:
                raise ConnectionError("no PONG from Redis")
            if self._pong_due is None and now >= self._ping_at:
                self._listener.connection.send_command("PING")
                self._pong_due, self._ping_at = now + DEAD_AFTER, now + HEALTH_EVERY
        except Exception as exc:
            log.warning("near cache: invalidation listener lost (%s); reading Redis directly", exc)
            self._close()
            return False
        return True

    def _connect(self) -> None:
        import redis

        self._drop_all()
        listener = redis.Redis.from_url(self.url, protocol=2, single_connection_client=True, socket_timeout=2,
                                        socket_connect_timeout=2, socket_keepalive=True)
        self._listener = listener
        conn = listener.connection
        conn.send_command("CLIENT", "ID")
        cid = conn.read_response()
        args: list = ["CLIENT", "TRACKING", "on", "REDIRECT", cid, "BCAST"]
        for p in self.prefixes:
            args += ["PREFIX", p]
        conn.send_command(*args)
        if conn.read_response() != b"OK":
            raise ConnectionError("CLIENT TRACKING refused")
        conn.send_command("SUBSCRIBE", CHANNEL)
        conn.read_response()
        self._poll = select.poll()
        self._poll.register(conn._sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        self._pong_due, self._ping_at = None, time.monotonic() + HEALTH_EVERY

    def _drain(self) -> None:
        # Fast path, one poll(2): nothing arrived. (Each drain reads every complete message, so
        # the parser holds no buffered bytes between drains.)
        if not self._poll.poll(0):
            return
        conn = self._listener.connection
        gone: list[bytes] = []
        flushed = False
        while conn.can_read(timeout=0):
            msg = conn.read_response()
            kind = msg[0] if isinstance(msg, list) and msg else None
            if kind == b"message" and msg[1] == CHANNEL:
                keys = msg[2]
                if keys is None:  # FLUSHDB / FLUSHALL
                    flushed = True
                else:
                    gone.extend(keys if isinstance(keys, list) else [keys])
            elif kind == b"pong":
                self._pong_due = None
        if flushed:
            self._drop_all()
        elif gone:
            with self._lock:
                for k in gone:
                    self._data.pop(k, None)
                    self._reading.pop(k, None)

    def _close(self) -> None:
        self._drop_all()
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except Exception:  # pragma: no cover - closing a broken socket
                pass


# --- one per app ----------------------------------------------------------------------------

# Only the account state (backend/subjects/account_cache.py) is left: the card cache keys on a
# version in the database (backend/cards/cache.py) and keeps no copies in the process.
PREFIXES = ("acct",)


def get_near_cache(app=None) -> NearCache | None:
    """The app's near cache, or None (no Redis, or ``NEAR_CACHE`` off): then read the store."""
    from flask import current_app, has_app_context

    if app is None:
        if not has_app_context():
            return None
        app = current_app._get_current_object()
    ext = app.extensions
    if "near_cache" not in ext:
        store = ext.get("kv")
        url = app.config.get("REDIS_URL")
        client = getattr(store, "client", None)
        near = None
        if url and client is not None and app.config.get("NEAR_CACHE", True):
            near = NearCache(url, client, [store.prefix + p for p in PREFIXES])
        ext["near_cache"] = near
    return ext["near_cache"]

"""A Redis outage is logged once when it starts and once when it ends — not a traceback per request.

Redis "stops answering" for real: the store and the limits point at a closed local port.
"""

from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import urlsplit

import pytest

from backend.app import create_app
from backend.platform.outage import Outage
from backend.platform.store import RedisStore, StoreUnavailable
from tests.backends import needs_redis
from tests.conftest import make_config


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connections are refused
    return port


def _records(caplog, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger]


def test_a_store_on_a_dead_redis_logs_one_line_and_carries_on(caplog):
    caplog.set_level(logging.DEBUG)
    store = RedisStore(f"redis://127.0.0.1:{_closed_port()}/0")
    store.outage.retry_after = 0  # try Redis on every call: each one fails for real
    for n in range(200):
        assert store.get(f"card:{n}") is None  # a miss: the caller reads the database
        store.set(f"card:{n}", b"x", ttl=60)  # dropped
        store.delete(f"card:{n}")
    with pytest.raises(StoreUnavailable):
        store.add("claim", b"1")
    logged = _records(caplog, "backend.platform.store")
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].levelno == logging.WARNING and logged[0].exc_info is None
    assert "stopped answering" in logged[0].getMessage()
    assert store.outage.failures == 601


class _Forwarder:
    """A TCP hop in front of the test Redis that can be cut and restored: a real outage, then recovery."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.start()

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        for s in [self.listener, *self.sockets]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass


@needs_redis("cuts and restores a real Redis connection")
def test_a_redis_outage_and_its_end_are_two_log_lines(redis_url, caplog):
    caplog.set_level(logging.DEBUG)
    url = urlsplit(redis_url)
    hop = _Forwarder(url.hostname or "127.0.0.1", url.port or 6379)
    try:
        store = RedisStore(f"redis://127.0.0.1:{hop.port}{url.path}", prefix="test-outage:")
        store.outage.retry_after = 0
        store.set("k", b"v")
        assert store.get("k") == b"v"
        hop.stop()  # Redis stops answering
        for _ in range(100):
            assert store.get("k") is None
        hop.start()  # and answers again, on the same address
        assert store.get("k") == b"v"
        store.delete("k")
    finally:
        hop.stop()
    lines = [r.getMessage() for r in _records(caplog, "backend.platform.store")]
    assert len(lines) == 2, lines
    assert "stopped answering" in lines[0]
    assert "answers again" in lines[1] and "100 operations" in lines[1]
    assert not [r for r in caplog.records if r.exc_info]


def test_the_end_of_an_outage_is_one_line_with_the_count(caplog):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("tests.outage")
    outage = Outage("thing", log, retry_after=0)
    for _ in range(50):
        outage.failed(ConnectionError("refused"))
    outage.recovered()
    outage.recovered()  # already over: nothing more
    lines = [r.getMessage() for r in _records(caplog, "tests.outage")]
    assert len(lines) == 2 and "answers again" in lines[1] and "50 operations" in lines[1]


def test_limits_on_a_dead_redis_log_once_and_still_limit(engine, connection, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = make_config(database_url, "", RATELIMIT_PUBLIC="30 per minute")
    down = create_app({**cfg.as_flask(), "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/0"})
    database = down.extensions["database"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    down.extensions["ratelimits"].outage.retry_after = 0  # every request tries Redis and fails
    c = down.test_client()
    codes = [c.get("/public/v1/firms/91320803MA1XXXXX0X/card").status_code for _ in range(40)]
    assert codes.count(429) == 10  # the in-memory fallback keeps counting: 30 a minute
    assert 500 not in codes
    logged = _records(caplog, "backend.http.ratelimit")
    assert len(logged) == 1 and logged[0].exc_info is None, [r.getMessage() for r in logged]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere

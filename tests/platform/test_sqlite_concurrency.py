"""The embedded default (SQLite file, threaded server) serves a small office's concurrent use.

A real SQLite file, a real threaded werkzeug server on a local port, real sockets: 16 threads read a
shared card (each read also counts the view: a read then a write in one transaction) while 8
residents create shares. Before WAL + busy timeout + immediate write transactions, 98 of 160 reads
and 13 of 40 shares answered 500 ``database is locked``.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from backend.app import create_app
from backend.platform.migrate import upgrade
from tests.backends import needs_sqlite
from tests.conftest import make_config
from tests.factories import account_headers
from tests.factories.cards import bound_account

pytestmark = needs_sqlite("the embedded default's SQLite file, which this test builds itself")

READERS, READS_EACH = 16, 10
RESIDENTS, SHARES_EACH = 8, 5


def _call(url: str, method: str = "GET", headers: dict | None = None, body: dict | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={**(headers or {}), "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    upgrade(url)
    app = create_app(make_config(url, "", RATELIMIT_ENABLED=False, TESTING=False))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    app.extensions["database"].engine.dispose()


def test_concurrent_card_reads_and_share_creation_get_no_server_error(served):
    app, base = served
    db = app.extensions["database"].new_session()
    with app.app_context():
        accounts = [bound_account(db)[0] for _ in range(RESIDENTS + 1)]
        db.commit()
        heads = [account_headers(app, a) for a in accounts]
        db.commit()  # the tokens' login sessions (backend.sessions) must exist for the server's threads
    db.close()
    status = _call(f"{base}/miniapp/v1/me/card/share", "POST", heads[0], {})
    assert status == 201
    share_req = urllib.request.Request(f"{base}/miniapp/v1/me/card/share", data=b"{}", method="POST",
                                       headers={**heads[0], "Content-Type": "application/json"})
    with urllib.request.urlopen(share_req) as resp:
        card_path = json.loads(resp.read())["url"].split("://", 1)[1].split("/", 1)[1]
    card_url = f"{base}/{card_path}"

    def read(_):
        return [_call(card_url) for _ in range(READS_EACH)]

    def share(i):
        return [_call(f"{base}/miniapp/v1/me/card/share", "POST", heads[1 + i], {}) for _ in range(SHARES_EACH)]

    with ThreadPoolExecutor(READERS + RESIDENTS) as pool:
        reads = [pool.submit(read, i) for i in range(READERS)]
        shares = [pool.submit(share, i) for i in range(RESIDENTS)]
        read_codes = [c for f in reads for c in f.result()]
        share_codes = [c for f in shares for c in f.result()]

    assert read_codes.count(200) == READERS * READS_EACH, sorted(set(read_codes))
    assert share_codes.count(201) == RESIDENTS * SHARES_EACH, sorted(set(share_codes))

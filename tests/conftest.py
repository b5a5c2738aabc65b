"""Test fixtures: one app per test, on the real database engine, each test rolled back.

Backends: ``TEST_DATABASE_URL`` (default: a SQLite file in a temp dir) and ``TEST_REDIS_URL``
(default: none, the in-process store). ``make test`` runs the suite once per available backend.
The schema is built once per run by the real Alembic migrations, not by ``create_all``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.platform.config import Config
from backend.platform.db import make_engine
from backend.platform.migrate import upgrade

TEST_PII_KEYS = {"t1": bytes(range(32)), "t0": bytes(range(1, 33))}
TEST_INDEX_KEY = b"i" * 32


def _database_url(tmp_root) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite (temp file)"
    redis = os.environ.get("TEST_REDIS_URL") or "in-process store"
    return [f"backend: database={url.split('@')[-1]} redis={redis}"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "")


def make_config(database_url: str, redis_url: str = "", **overrides) -> Config:
    cfg = Config(
        ENV="testing",
        TESTING=True,
        SECRET_KEY="test-secret-key-0123456789abcdef0123",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PII_KEYS=dict(TEST_PII_KEYS),
        PII_ACTIVE_KEY="t1",
        PII_INDEX_KEY=TEST_INDEX_KEY,
        RATELIMIT_LOGIN="1000 per minute",
        RATELIMIT_WRITE="1000 per minute",
        RATELIMIT_PUBLIC="1000 per minute",
        JOBS_INLINE=True,
        # The letter tests' font: `cjk_font` accepts one named in the environment.
        LETTER_FONT_PATH=os.environ.get("LETTER_FONT_PATH", ""),
    )
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module (or with ``@pytest.mark.parametrize``) to change settings."""
    return {}


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def app(engine, connection, database_url, redis_url, config_overrides):
    """The app, with every session bound to the test's connection inside one outer transaction."""
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    application = create_app(make_config(database_url, redis_url, **config_overrides))
    database = application.extensions["database"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session for arranging and checking data; call ``db.flush()`` before making requests."""
    sess = app.extensions["database"].new_session()
    with app.app_context():
        yield sess
    sess.close()


def b64key(n: int) -> str:
    return base64.b64encode(bytes([n]) * 32).decode()


CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@pytest.fixture
def cjk_font() -> None:
    """The commitment letter PDF embeds a CJK TrueType font. `.ci/run` and `make fonts` install it;
    on a developer machine without root the letter tests skip with that reason, in CI they fail."""
    if os.path.exists(CJK_FONT) or os.environ.get("LETTER_FONT_PATH"):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CJK_FONT} is missing in CI: .ci/run installs fonts-wqy-microhei")
    pytest.skip("no CJK TrueType font on this developer machine: run `make fonts` (fonts-wqy-microhei); "
                "in CI its absence is a failure")

"""Which backends this pytest run has, and the one way a test says it needs PostgreSQL or Redis.

``make test`` (scripts/run_tests.py) runs the suite twice: on SQLite with the in-process store, and on
PostgreSQL + Redis. A test that needs the second — two transactions racing on real row locks (SQLite
serialises every writer and the harness shares one connection), PostgreSQL's own SQL (COPY, the
set-based recompute), a store shared by two app processes — is marked with :func:`needs_postgres` or
:func:`needs_redis`: it is skipped in the SQLite pass only, and runs in the other one. Under CI
(``CI`` set) run_tests.py refuses to start without PostgreSQL and Redis, so these tests always run there.
"""

from __future__ import annotations

import os

import pytest

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
WITH_REDIS = bool(os.environ.get("TEST_REDIS_URL"))
_WHERE = "runs in the PostgreSQL + Redis pass of `make test`, which CI requires"


def needs_postgres(why: str):
    """Skip in the SQLite pass: ``why`` says what only PostgreSQL shows (a row-lock race …)."""
    return pytest.mark.skipif(not ON_POSTGRES, reason=f"{why}; {_WHERE}")


def needs_redis(why: str):
    """Skip without the shared Redis: ``why`` says what only a real Redis shows."""
    return pytest.mark.skipif(not WITH_REDIS, reason=f"{why}; {_WHERE}")


def needs_postgres_and_redis(why: str):
    return pytest.mark.skipif(not (ON_POSTGRES and WITH_REDIS), reason=f"{why}; {_WHERE}")


def needs_sqlite(why: str):
    """Skip in the PostgreSQL pass: ``why`` says what only the embedded SQLite default shows."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"{why}; runs in the SQLite pass of `make test`")

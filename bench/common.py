"""Shared by the benchmark scripts: each runs on its own PostgreSQL database, created on demand."""

from __future__ import annotations


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist (connecting to the server's ``postgres`` database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{u.database}"')
            print(f"created database {u.database}")


def ensure_scale(session, persons: int) -> None:
    """Load persons (and N/8 firms, their records and list entries) with the scale loader until the
    database holds ``persons`` of them; commits. A later run reuses what is there."""
    import json

    import sqlalchemy as sa

    from backend.demo.scale import load_scale

    have = session.execute(sa.text("SELECT count(*) FROM persons")).scalar()
    if have < persons:
        print(f"loading {persons - have:,} persons (have {have:,}) …", flush=True)
        report = load_scale(session, persons - have, progress=lambda m: print("  ", m, flush=True))
        session.commit()
        print(json.dumps(report.as_dict(), ensure_ascii=False))


def prepared_engine(url: str):
    """The engine of a benchmark database, ready to use: throwaway PII and audit keys for this
    process (the rows are synthetic and rolled back), the database created when it is PostgreSQL,
    migrated to head."""
    import os

    from backend.common import audit, crypto
    from backend.platform.db import make_engine
    from backend.platform.migrate import upgrade

    crypto.configure({"bench": os.urandom(32)}, "bench", os.urandom(32))
    audit.configure({"bench": os.urandom(32)}, "bench")
    if url.startswith("postgresql"):
        ensure_database(url)
    upgrade(url)
    return make_engine(url)

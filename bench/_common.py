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

"""Alembic environment: the URL is ``sqlalchemy.url`` if set, else the app's ``DATABASE_URL``."""

from __future__ import annotations

from alembic import context

from backend.platform.config import Config
from backend.platform.db import make_engine
from backend.models import metadata

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Config.from_env().DATABASE_URL


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a SQLite table (copy, drop, rename). With foreign keys on,
            # dropping a table that other tables' rows reference fails, so an existing database with
            # data could not upgrade. Alembic's advice: off for the migration (outside any
            # transaction, on the driver connection), checked afterwards.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            if broken:
                raise RuntimeError(f"foreign keys broken after the migration: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

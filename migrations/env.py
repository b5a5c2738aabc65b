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
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

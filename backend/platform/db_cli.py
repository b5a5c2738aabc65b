"""``flask db …``: schema management through Alembic (one upgrade path for SQLite and PostgreSQL)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.platform.migrate import upgrade


@click.group("db")
def db_cli() -> None:
    """Database schema."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")

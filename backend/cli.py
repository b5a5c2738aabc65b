"""``flask`` commands: each context adds its group here."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from backend.commands import db_cli
    from backend.jobs_cli import jobs_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(jobs_cli)

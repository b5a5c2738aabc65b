"""``flask audit verify``: walk the audit chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.common.audit import verify_chain
from backend.http.extensions import get_database

audit_cli = AppGroup("audit", help="审计日志。")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 at the first row that does not fit."""
    session = get_database().new_session()
    try:
        report = verify_chain(session)
    finally:
        session.close()
    if report.ok:
        click.echo(f"audit chain OK: {report.checked} rows")
        return
    click.echo(f"audit chain BROKEN at row {report.first_bad_id}: {report.problem}")
    raise click.exceptions.Exit(1)

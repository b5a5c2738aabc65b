"""``flask commitments report --month 2026-11``: the month's 登记表 and 违诺信息表 as XLSX."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from backend.commitments.reports import parse_month, previous_month, write_month
from backend.common.actor import SYSTEM
from backend.http.extensions import get_database
from backend.platform.config import printed_base_url
from backend.platform.errors import DomainError

commitments_cli = AppGroup("commitments", help="信用承诺（月度报表）。")


@commitments_cli.command("report")
@click.option("--month", default=None, help="YYYY-MM, a month that has ended (default: last month)")
@click.option("--out", "out_dir", default=None, help="directory for the files (default: COMMITMENT_REPORTS_DIR)")
def report(month: str | None, out_dir: str | None) -> None:
    """Write the month's 信用承诺登记表 and 违背信用承诺信息表 (every department)."""
    try:
        first = parse_month(month) if month else previous_month()
    except DomainError as err:
        raise click.UsageError(f"{err.reason}: {err.message}") from None
    session = get_database().new_session()
    try:
        cfg = current_app.config
        written = write_month(session, SYSTEM, first, out_dir or cfg["COMMITMENT_REPORTS_DIR"],
                              base_url=printed_base_url(cfg))
    finally:
        session.close()
    for table, (path, rows) in written.items():
        click.echo(f"{table}: {rows} rows -> {path}")

"""``flask audit verify`` and ``flask audit checkpoint``: check and anchor the audit chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.common.audit import verify_chain
from backend.common.audit_checkpoints import checkpoint_file, read_checkpoints, write_checkpoint
from backend.http.extensions import get_database

audit_cli = AppGroup("audit", help="审计日志。")


@audit_cli.command("verify")
@click.option("--checkpoints", "path", default=None, help="checkpoint file (default: AUDIT_CHECKPOINT_FILE)")
def audit_verify(path: str | None) -> None:
    """Walk the MAC chain and check it against the signed checkpoints; exit 1 at the first bad row."""
    checkpoints, bad_lines = read_checkpoints(path)
    session = get_database().new_session()
    try:
        report = verify_chain(session, checkpoints=checkpoints)
    finally:
        session.close()
    if bad_lines:
        for problem in bad_lines:
            click.echo(f"audit checkpoint REFUSED, {problem}")
    if not report.ok:
        where = f"at row {report.first_bad_id}" if report.first_bad_id is not None else "(no row)"
        click.echo(f"audit chain BROKEN {where}: {report.problem}")
        raise click.exceptions.Exit(1)
    if bad_lines:
        raise click.exceptions.Exit(1)
    anchored = f", {len(checkpoints)} checkpoints matched" if checkpoints else ""
    click.echo(f"audit chain OK: {report.checked} rows{anchored}")
    if not checkpoints and (path or checkpoint_file()):
        click.echo(f"warning: no checkpoints in {path or checkpoint_file()} yet: deleted last rows cannot be "
                   "detected until the hourly job (or flask audit checkpoint) writes one", err=True)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Append a signed checkpoint of the chain's head now (the hourly job does the same)."""
    session = get_database().new_session()
    try:
        cp = write_checkpoint(session)
    finally:
        session.close()
    click.echo("audit chain empty: nothing to anchor" if cp is None else
               f"checkpoint: {cp.rows} rows up to row {cp.last_id}")

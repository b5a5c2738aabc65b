"""``flask pii …``: personal-data key management.

``flask pii rotate`` re-encrypts every encrypted column (persons' ID number, name and phone, and
any other :class:`~backend.common.crypto.EncryptedString` column) under the active key, in batches,
committing after each batch so a long run makes progress and can be resumed. Plaintext never
leaves this process: rows are read and written as ciphertext, only the key changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask.cli import AppGroup
from sqlalchemy import String, Table, select, type_coerce, update
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM
from backend.common.audit import audit
from backend.common.crypto import PIIError, encrypted_columns, keyring
from backend.http.extensions import get_session

pii_cli = AppGroup("pii", help="个人信息加密（身份证号、姓名、手机号）的密钥管理。")


@dataclass
class RotationReport:
    table: str
    rows: int = 0  # rows scanned
    rows_changed: int = 0
    values_rotated: int = 0
    values_current: int = 0  # already under the active key
    failed_ids: list = field(default_factory=list)  # rows with a value no configured key can read
    skipped: bool = False  # no single-column primary key to walk the table by


def _tables(metadata) -> dict[Table, list]:
    grouped: dict[Table, list] = {}
    for table, column in encrypted_columns(metadata):
        grouped.setdefault(table, []).append(column)
    return grouped


def rotate_table(
    session: Session, table: Table, columns: list, batch_size: int, on_batch: Callable[[], None]
) -> RotationReport:
    """Re-encrypt ``columns`` of ``table`` under the active key, ``batch_size`` rows at a time."""
    report = RotationReport(table.name)
    if len(table.primary_key.columns) != 1:
        report.skipped = True
        return report
    (pk,) = table.primary_key.columns
    ring = keyring()
    raw = [type_coerce(c, String) for c in columns]  # the stored ciphertext, not decrypted
    last = None
    while True:
        query = select(pk, *raw).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        rows = session.execute(query).all()
        if not rows:
            return report
        for row in rows:
            last = row[0]
            report.rows += 1
            changes = {}
            try:
                for column, stored in zip(columns, row[1:], strict=True):
                    if stored is None:
                        continue
                    if ring.is_current(stored):
                        report.values_current += 1
                        continue
                    changes[column.name] = type_coerce(ring.reencrypt(column.type.purpose, stored), String)
            except PIIError:
                report.failed_ids.append(last)
                continue
            if changes:
                session.execute(update(table).where(pk == last).values(changes))
                report.rows_changed += 1
                report.values_rotated += len(changes)
        on_batch()


def rotate_all(session: Session, batch_size: int, on_batch: Callable[[], None]) -> list[RotationReport]:
    """Rotate every encrypted column of every table; one ``pii.rotate`` audit entry per table."""
    from backend.models import metadata

    reports = []
    for table, columns in _tables(metadata).items():
        report = rotate_table(session, table, columns, batch_size, on_batch)
        audit(session, SYSTEM, "pii.rotate", "table", table.name, key=keyring().active,
              rows=report.rows, rows_changed=report.rows_changed, values_rotated=report.values_rotated,
              failed=len(report.failed_ids))
        on_batch()
        reports.append(report)
    return reports


@pii_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="每批处理的行数（每批提交一次）。")
def rotate_command(batch_size: int) -> None:
    """Re-encrypt all personal data under the active key (PII_ACTIVE_KEY)."""
    session = get_session()
    reports = rotate_all(session, batch_size, on_batch=session.commit)
    click.echo(f"active key: {keyring().active}")
    failed = 0
    for r in reports:
        if r.skipped:
            click.echo(f"{r.table}: skipped (no single-column primary key)", err=True)
            failed += 1
            continue
        click.echo(
            f"{r.table}: {r.rows} rows scanned, {r.rows_changed} rows re-encrypted "
            f"({r.values_rotated} values), {r.values_current} values already current, "
            f"{len(r.failed_ids)} rows failed"
        )
        if r.failed_ids:
            click.echo(f"  unreadable rows (ids): {r.failed_ids[:50]}", err=True)
        failed += len(r.failed_ids)
    if failed:
        raise click.exceptions.Exit(1)


@pii_cli.command("status")
def status_command() -> None:
    """Count stored values per key id (what a rotation still has to do)."""
    from backend.models import metadata

    session = get_session()
    for table, columns in _tables(metadata).items():
        for column in columns:
            prefix = type_coerce(column, String)
            counts: dict[str, int] = {}
            rows = session.execute(select(prefix).where(column.isnot(None)).execution_options(yield_per=2000))
            for (stored,) in rows:
                kid = keyring().key_id_of(stored)
                counts[kid] = counts.get(kid, 0) + 1
            summary = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "empty"
            click.echo(f"{table.name}.{column.name}: {summary}")

"""``flask demo seed`` (the small demo district) and ``flask demo seed --scale N`` (bulk load).

Both refuse to run when the app has production settings (``APP_ENV=production``).
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.demo.scale import load_scale
from backend.demo.seed import ensure_not_production, seed_demo
from backend.http.extensions import get_session
from backend.platform.errors import DomainError


@click.group("demo")
def demo_cli() -> None:
    """Demo data (演示数据), development only."""


@demo_cli.command("seed")
@click.option("--scale", type=click.IntRange(min=1), default=None,
              help="Bulk-load N persons, N/8 firms and ~4 records per subject (benchmarks) instead of the demo.")
@click.option("--seed", "seed_value", type=int, default=20200080, show_default=True,
              help="Random seed of the scale load (deterministic).")
@click.option("--rebuild-indexes/--keep-indexes", default=None,
              help="Drop and recreate non-unique indexes and foreign keys around the scale load "
                   "(default: PostgreSQL and N >= 50,000).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def seed_command(scale: int | None, seed_value: int, rebuild_indexes: bool | None, as_json: bool) -> None:
    """Create the demo district (idempotent), or bulk-load --scale N subjects."""
    env = current_app.config.get("ENV", "")
    try:
        ensure_not_production(env)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    session = get_session()
    try:
        if scale:
            report = load_scale(session, scale, seed=seed_value, rebuild_indexes=rebuild_indexes,
                                progress=None if as_json else (lambda msg: click.echo(f"… {msg}")))
            session.commit()
            out = report.as_dict()
            click.echo(json.dumps(out, ensure_ascii=False, indent=2) if as_json else _scale_text(out))
            return
        summary = seed_demo(session, env=env)
        session.commit()
    except DomainError as err:
        session.rollback()
        raise click.ClickException(f"{err.reason}: {err.message}") from None
    except Exception:
        session.rollback()
        raise
    if as_json:
        click.echo(json.dumps(summary.__dict__, ensure_ascii=False, indent=2, default=str))
        return
    click.echo("演示数据已就绪 (demo data ready).")
    click.echo("  created:  " + ", ".join(f"{k} {v}" for k, v in summary.created.items()) if summary.created
               else "  created:  nothing (already seeded)")
    click.echo("  existing: " + ", ".join(f"{k} {v}" for k, v in summary.existing.items()))
    click.echo(f"  mini-program: login code dev:demo → openid {summary.demo_openid}, bound to {summary.demo_person}")
    click.echo("  staff accounts (development passwords):")
    for s in summary.staff:
        click.echo(f"    {s['username']:<15} {s['password']:<20} {s['role']:<14} {s['department']}")
    click.echo("  firms (public lookup: /public/v1/firms/<uscc>):")
    for f in summary.firms[:5]:
        click.echo(f"    {f['uscc']}  {f['name']}")


def _scale_text(out: dict) -> str:
    lines = [f"loaded {out['persons']} persons, {out['firms']} firms on {out['backend']} "
             f"(subject ids from {out['first_subject_id']})"]
    for name, t in out["tables"].items():
        lines.append(f"  {name:<15} {t['rows']:>10} rows  {t['seconds']:>8.2f} s  {t['rows_per_second']:>9} rows/s")
    for name, secs in out["steps"].items():
        lines.append(f"  {name:<32} {secs:>8.2f} s")
    lines.append(f"  total {out['total_rows']} rows in {out['total_seconds']:.2f} s "
                 f"({out['total_rows_per_second']} rows/s)")
    return "\n".join(lines)

"""``flask credit …``: evaluation maintenance."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from backend.http.extensions import get_database


@click.group("credit")
def credit_cli() -> None:
    """Credit evaluation (公共信用综合评价 / 个人诚信分)."""


def _parse_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("请使用 YYYY-MM-DD 格式的日期，例如 2026-05-01。") from None


@credit_cli.command("recompute")
@click.option("--as-of", callback=_parse_date, help="Score as on this day (YYYY-MM-DD); default today (China).")
@click.option("--method", type=click.Choice(["sql", "python"]), default=None,
              help="Force a path; default: set-based SQL on PostgreSQL, chunked Python elsewhere.")
@with_appcontext
def recompute(as_of: date | None, method: str | None) -> None:
    """Rescore every subject (one transaction); explanations are rebuilt on first read."""
    from backend.evaluation.batch import recompute_everything

    session = get_database().new_session()
    try:
        try:
            report = recompute_everything(session, as_of, method=method)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    rate = report.total / report.seconds if report.seconds else 0.0
    click.echo(
        f"rescored {report.total} subjects as of {report.as_of} by {report.method} in {report.seconds:.1f}s "
        f"({rate:,.0f}/s): {report.written} changed, {report.grade_changes} grade changes"
    )


@credit_cli.command("explain")
@click.argument("subject_id", type=int)
@click.option("--as-of", callback=_parse_date)
@with_appcontext
def explain(subject_id: int, as_of: date | None) -> None:
    """Print one subject's score and why (rebuilds a stale explanation)."""
    from backend.evaluation.services import get_evaluation
    from backend.platform.errors import DomainError

    session = get_database().new_session()
    try:
        try:
            result = get_evaluation(session, subject_id, as_of)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        session.commit()
    finally:
        session.close()
    click.echo(f"{result.score} {result.grade_label}（{result.grade}） rules {result.rules_version} as of {result.as_of}")
    for item in result.items:
        click.echo(f"  {item.points:+5d}  {item.label}  {item.title}  {item.note}")
    for hint in result.hints:
        click.echo(f"  → {hint.message}")

"""``flask calendar …``: the working-day calendar (statutory holidays and make-up working days)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.calendar import services as svc
from backend.common.actor import SYSTEM
from backend.http.extensions import get_database
from backend.platform.errors import ValidationFailed

calendar_cli = AppGroup("calendar", help="工作日历（法定节假日与调休）。")


@calendar_cli.command("sync")
@click.option("--from", "first_year", type=int, default=None, help="first year (default: the package's first)")
@click.option("--to", "last_year", type=int, default=None, help="last year (default: the package's last)")
def calendar_sync(first_year: int | None, last_year: int | None) -> None:
    """Re-seed years from chinesecalendar; rows entered by staff are kept."""
    session = get_database().new_session()
    try:
        report = svc.sync_from_chinesecalendar(session, SYSTEM, first_year, last_year)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    if report.first_year > report.last_year:
        lo, hi = svc.package_years()
        click.echo(f"chinesecalendar knows {lo}-{hi} only: nothing to sync")
        return
    click.echo(
        f"calendar {report.first_year}-{report.last_year}: {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.kept_staff} staff entries kept"
    )


@calendar_cli.command("show")
@click.argument("year", type=int)
def calendar_show(year: int) -> None:
    """List a year's holidays on weekdays and make-up working days."""
    session = get_database().new_session()
    try:
        cal = svc.get_year(session, year)
    except ValidationFailed as err:
        raise click.BadParameter(err.message, param_hint="YEAR") from None
    finally:
        session.close()
    click.echo(f"{year}: {cal.holidays} holidays on weekdays, {cal.makeup_workdays} make-up working days")
    if cal.warning:
        click.echo(f"warning: {cal.warning}")
    for e in cal.entries:
        kind = "班" if e.is_workday else "休"
        click.echo(f"{e.day.isoformat()} {svc.weekday_label(e.day)} {kind} {e.name} ({e.source})")

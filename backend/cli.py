"""``flask`` commands: each context adds its group here."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from backend.calendar.cli import calendar_cli
    from backend.commitments.cli import commitments_cli
    from backend.common.audit_cli import audit_cli
    from backend.demo.cli import demo_cli
    from backend.evaluation.cli import credit_cli
    from backend.platform.db_cli import db_cli
    from backend.platform.jobs_cli import jobs_cli
    from backend.staff.cli import staff_cli
    from backend.subjects.cli import pii_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(pii_cli)
    app.cli.add_command(credit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(commitments_cli)

"""``flask staff …``: create the first accounts, reset a forgotten password, close an account.

Passwords are always prompted for (hidden, asked twice), never taken from the command line where
they would land in the shell history.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend.common.actor import SYSTEM
from backend.http.extensions import get_database
from backend.platform.errors import DomainError
from backend.staff import services as svc
from backend.staff.models import ROLE_LABELS, Role, StaffUser

staff_cli = AppGroup("staff", help="工作人员账号。")


def _run(fn):
    """Run ``fn(session)`` in one transaction; a refusal becomes a plain CLI error."""
    session = get_database().new_session()
    try:
        result = fn(session)
        session.commit()
        return result
    except DomainError as err:
        session.rollback()
        raise click.ClickException(f"{err.message} ({err.reason})") from None
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _user_id(session, username: str) -> int:
    uid = session.execute(select(StaffUser.id).where(StaffUser.username == username.strip().lower())).scalar()
    if uid is None:
        raise click.ClickException(f"no staff user {username!r}")
    return uid


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", "department_code", default=None, help="department code, e.g. FGW, SCJG")
@click.option("--display-name", default=None, help="shown in the console (default: the username)")
@click.password_option("--password", prompt="Password", help="prompted for when not given")
def create(username: str, role: str, department_code: str | None, display_name: str | None, password: str) -> None:
    """Create a staff account (信用办管理员, 部门审核员, 审计员, 合作银行, 合作商户)."""

    def go(session):
        dept_id = svc.find_department_by_code(session, department_code).id if department_code else None
        return svc.create_staff_user(
            session, SYSTEM, username=username, password=password,
            display_name=display_name or username, role=role, department_id=dept_id,
        )

    user = _run(go)
    click.echo(f"created staff user {user.username} (id {user.id}, {ROLE_LABELS[Role(user.role)]})")


@staff_cli.command("reset-password")
@click.argument("username")
@click.password_option("--password", prompt="New password")
def reset_password(username: str, password: str) -> None:
    """Set a new password; every session of the user ends and their tokens stop working."""
    _run(lambda s: svc.reset_password(s, SYSTEM, _user_id(s, username), password))
    click.echo(f"password of {username} reset")


@staff_cli.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Close an account; its tokens stop working at once."""
    _run(lambda s: svc.deactivate_staff(s, SYSTEM, _user_id(s, username)))
    click.echo(f"{username} deactivated")

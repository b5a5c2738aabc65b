"""Fixtures shared by the HTTP walks (tests/http/test_bad_inputs.py, tests/http/test_personal_data.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.demo.seed import DEMO_OPENID, seed_demo
from backend.staff.models import Role, StaffUser
from backend.subjects.models import Account, Firm
from tests.factories import account_headers, staff_headers


@pytest.fixture
def district(app, db):
    """The demo district, and who calls: its mini-program account and its credit-office admin."""
    seed_demo(db, env="development")
    db.flush()
    account = db.execute(select(Account).where(Account.openid == DEMO_OPENID)).scalar_one()
    admin = db.execute(select(StaffUser).where(StaffUser.role == Role.CREDIT_ADMIN)).scalars().first()
    uscc = db.execute(select(Firm.uscc).order_by(Firm.id)).scalars().first()
    db.commit()
    return {"account": account_headers(app, account), "staff": staff_headers(app, admin), "uscc": uscc}

"""Arrange 信易贷 tests: two partner banks with a product each, their loan officers, a firm with its
legal representative's account, and the credit office."""

from __future__ import annotations

import itertools

import pytest

from backend.staff.models import OrgType, Role
from tests.factories.cards import bound_account, firm, headers, person
from tests.factories.perks import make_perk
from tests.factories.staff import make_department, make_staff, seeded_department, staff_headers

_keys = itertools.count(1)


@pytest.fixture
def world(app, db):
    bank_a = make_department(db, OrgType.BANK, short_name="江苏银行（测试）")
    bank_b = make_department(db, OrgType.BANK, short_name="淮安农商行（测试）")
    loan_a = make_perk(db, "loan", provider=bank_a, kinds=["firm"], rule={"min_grade": "B"}, domain="金融")
    loan_b = make_perk(db, "loan", provider=bank_b, kinds=["firm"], rule={"min_grade": "C"}, domain="金融")
    officer_a = make_staff(db, Role.BANK_PARTNER, bank_a)
    officer_b = make_staff(db, Role.BANK_PARTNER, bank_b)
    admin = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    rep = person(db, name="李建国")
    account, _ = bound_account(db, rep)
    f = firm(db, legal_rep=rep, name="淮安区信易贷测试有限公司")
    db.flush()
    return {"bank_a": bank_a, "bank_b": bank_b, "loan_a": loan_a, "loan_b": loan_b, "officer_a": officer_a,
            "officer_b": officer_b, "admin": admin, "account": account, "rep": rep, "firm": f,
            "h": headers(app, account), "ha": staff_headers(app, officer_a), "hb": staff_headers(app, officer_b),
            "hadmin": staff_headers(app, admin)}


def apply(client, h, perk, subject, key=None, **over):
    body = {"perk_code": perk.code, "firm": subject.uscc, "amount_yuan": 500_000, "term_months": 12,
            "purpose": "采购原材料，补充流动资金"}
    body.update(over)
    return client.post("/miniapp/v1/loans", json=body, headers={**h, "Idempotency-Key": key or f"loan-{next(_keys)}"})

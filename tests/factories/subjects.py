"""Subjects factories: firms and persons (through the subjects services: real encryption and blind
index), bare subject rows, mini-program accounts, their bearer headers, and firm agencies."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM
from backend.common.ids import make_resident_id, make_uscc
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.subjects.models import Account, AgencyStatus, Firm, FirmAgency, Person, Subject
from backend.subjects.services import register_firm, register_person
from tests.factories.sequence import next_n
from tests.factories.sessions import login_session


def make_firm(db: Session, uscc: str | None = None, name: str | None = None, **fields) -> Firm:
    """A registered firm (信用主体·法人) with a fresh valid 统一社会信用代码 in 淮安区 unless given."""
    n = next_n()
    uscc = uscc or make_uscc("91", "320803", f"MA{n:06d}")
    return register_firm(db, SYSTEM, uscc=uscc, name=name or f"淮安测试企业{n}有限公司", **fields)


def make_person(db: Session, id_number: str | None = None, name: str = "张三", **fields) -> Person:
    """A registered person (信用主体·自然人) with a fresh valid resident ID unless given."""
    n = next_n()
    id_number = id_number or make_resident_id("320803", date(1970, 1, 1) + timedelta(days=n), n % 1000)
    return register_person(db, SYSTEM, id_number=id_number, name=name, **fields)


def make_subject(db: Session, kind: str = "firm") -> Subject:
    """A bare subject row (no firm or person details): enough for the evaluation engine."""
    s = Subject(kind=kind)
    db.add(s)
    db.flush()
    return s


def make_account(db: Session, **fields) -> Account:
    account = Account(openid=fields.pop("openid", f"openid-test-{next_n()}"), **fields)
    db.add(account)
    db.flush()
    return account


def account_headers(app, account: Account) -> dict[str, str]:
    sid = login_session(app, ("account", account.id), account, account_id=account.id)
    token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": account.id, "sid": sid})
    return {"Authorization": f"Bearer {token}"}


def bound_account(db: Session, person: Person | None = None, *, name: str = "张三丰") -> tuple[Account, Person]:
    """An account bound (实名) to ``person`` (a new person named ``name`` if None)."""
    p = person or make_person(db, name=name)
    return make_account(db, person_id=p.id, identity_level="self_declared"), p


def approve_agent(db: Session, firm: Firm, account: Account, person: Person) -> FirmAgency:
    """An approved agency (授权经办): ``person`` on ``account`` acts for ``firm``."""
    agency = FirmAgency(firm_id=firm.id, account_id=account.id, person_id=person.id, status=AgencyStatus.APPROVED)
    db.add(agency)
    db.flush()
    return agency

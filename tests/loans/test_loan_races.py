"""Two applications of one firm to one bank at the same moment (a double tap, two agents): exactly
one is accepted, the other is told an application is already pending (PostgreSQL, real commits)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.services import evaluate_subject
from backend.intercept.models import InterceptCheck, InterceptHit
from backend.loans import services as loans
from backend.loans.models import LoanApplication
from backend.perks.models import Perk
from backend.platform.db import make_engine
from backend.platform.errors import DomainError
from backend.queues import services as queue
from backend.queues.models import QueueEvent, QueueItem
from backend.staff.models import Department, OrgType, Role, StaffUser
from backend.subjects.models import Account, Firm, Person, Subject
from tests.backends import needs_postgres
from tests.conftest import make_config
from tests.factories.perks import make_perk
from tests.factories.staff import make_department, make_staff
from tests.factories.subjects import make_firm, make_person


@pytest.fixture
def committed(app, database_url, redis_url):
    own = make_engine(database_url)
    setup = create_app(make_config(database_url, redis_url))
    ctx = setup.app_context()
    ctx.push()
    with own.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    with Session(own) as s:
        bank = make_department(s, OrgType.BANK)
        perk = make_perk(s, "loan", provider=bank, kinds=["firm"], rule={"min_grade": "C"}, domain="金融")
        rep = make_person(s, name="钱竞")
        firm = make_firm(s, legal_rep=rep)
        account = Account(openid=f"loan-race-{firm.id}", person_id=rep.id, identity_level="self_declared")
        s.add(account)
        s.flush()
        officer = make_staff(s, Role.BANK_PARTNER, bank)
        evaluate_subject(s, firm.id, cause="test")  # as after the nightly rescoring: the race is the application's
        s.commit()
        ids = {"bank": bank.id, "perk": perk.id, "code": perk.code, "rep": rep.id, "firm": firm.id,
               "uscc": firm.uscc, "account": account.id, "officer": officer.id}
    yield own, ids
    ctx.pop()
    setup.extensions["database"].engine.dispose()
    with own.begin() as conn:
        loan_ids = select(LoanApplication.id).where(LoanApplication.perk_id == ids["perk"])
        items = select(QueueItem.id).where(QueueItem.kind == "loan", QueueItem.ref_id.in_(loan_ids))
        conn.execute(delete(QueueEvent).where(QueueEvent.item_id.in_(items)))
        conn.execute(delete(QueueItem).where(QueueItem.kind == "loan", QueueItem.ref_id.in_(loan_ids)))
        conn.execute(delete(LoanApplication).where(LoanApplication.perk_id == ids["perk"]))
        checks = select(InterceptCheck.id).where(InterceptCheck.perk_id == ids["perk"])
        conn.execute(delete(InterceptHit).where(InterceptHit.check_id.in_(checks)))
        conn.execute(delete(InterceptCheck).where(InterceptCheck.perk_id == ids["perk"]))
        conn.execute(delete(Perk).where(Perk.id == ids["perk"]))
        conn.execute(delete(Account).where(Account.id == ids["account"]))
        for sid in (ids["firm"], ids["rep"]):
            conn.execute(delete(EvaluationHistory).where(EvaluationHistory.subject_id == sid))
            conn.execute(delete(Evaluation).where(Evaluation.subject_id == sid))
        conn.execute(delete(Firm).where(Firm.id == ids["firm"]))
        conn.execute(delete(Person).where(Person.id == ids["rep"]))
        conn.execute(delete(Subject).where(Subject.id.in_([ids["firm"], ids["rep"]])))
        conn.execute(delete(StaffUser).where(StaffUser.id == ids["officer"]))
        conn.execute(delete(Department).where(Department.id == ids["bank"]))
        conn.execute(delete(AuditEntry).where(AuditEntry.id > start))
    own.dispose()


@needs_postgres("two transactions racing on one firm's row lock (SQLite serialises every writer)")
def test_two_applications_at_once_one_is_accepted(committed):
    own, ids = committed
    actor = Actor("account", ids["account"], person_id=ids["rep"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        with Session(own) as s:
            barrier.wait(5)
            try:
                loans.apply_for_loan(s, actor, perk_code=ids["code"], firm_uscc=ids["uscc"], amount_yuan=200_000,
                                     term_months=12, purpose="周转")
                s.commit()
                outcomes.append("ok")
            except DomainError as exc:
                s.rollback()
                outcomes.append(exc.reason)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["loan_open", "ok"]
    with Session(own) as s:
        rows = s.execute(select(LoanApplication).where(LoanApplication.perk_id == ids["perk"])).scalars().all()
        assert len(rows) == 1
        assert s.execute(select(QueueItem.id).where(QueueItem.kind == "loan", QueueItem.ref_id == rows[0].id)).all()


@needs_postgres("a withdrawal racing a decision on real row locks")
def test_withdrawal_racing_the_banks_decision_one_wins_and_neither_fails(committed):
    """The firm withdraws while the bank refuses: one of them wins, the other gets a plain 409-style
    refusal — never a deadlock (which surfaced as a 500 when the two took their locks in opposite order)."""
    own, ids = committed
    firm_actor = Actor("account", ids["account"], person_id=ids["rep"])
    officer = Actor("staff", ids["officer"], role=Role.BANK_PARTNER.value, department_id=ids["bank"])
    for _ in range(8):
        with Session(own) as s:
            loan = loans.apply_for_loan(s, firm_actor, perk_code=ids["code"], firm_uscc=ids["uscc"],
                                        amount_yuan=200_000, term_months=12, purpose="周转")
            s.commit()
            loan_id, item_id = loan.id, queue.item_for(s, "loan", loan.id).id
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def run(step, barrier: threading.Barrier = barrier, outcomes: list[str] = outcomes) -> None:
            with Session(own) as s:
                barrier.wait(5)
                try:
                    step(s)
                    s.commit()
                    outcomes.append("ok")
                except DomainError as exc:
                    s.rollback()
                    outcomes.append(exc.reason)
                except Exception as exc:  # a deadlock is what this test is about
                    s.rollback()
                    outcomes.append(type(exc).__name__)

        def withdraw(s: Session, loan_id: int = loan_id) -> None:
            loans.withdraw_loan(s, firm_actor, loan_id)

        def refuse(s: Session, item_id: int = item_id) -> None:
            queue.decide(s, officer, item_id, outcome="refuse", reason="材料不全")

        threads = [threading.Thread(target=run, args=(step,)) for step in (withdraw, refuse)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert outcomes.count("ok") == 1, outcomes
        assert set(outcomes) - {"ok"} <= {"loan_not_pending", "queue_item_closed", "item_held_by_other"}, outcomes
        with Session(own) as s:
            row = s.get_one(LoanApplication, loan_id)
            item = s.get_one(QueueItem, item_id)
            assert row.status.value in ("withdrawn", "refused") and not item.is_open

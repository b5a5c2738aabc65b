"""Two signings of the same item for the same subject at the same moment: one commitment, the other
told it is already signed (PostgreSQL, real commits)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.commitments import signing
from backend.commitments.catalogue import save_item
from backend.commitments.models import (
    Commitment,
    CommitmentItem,
    CommitmentLetter,
    CommitmentTemplate,
    IntegrityAcknowledgement,
)
from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.errors import Conflict
from backend.staff.models import Department, Role
from backend.subjects.models import Account, Person, Subject
from tests.backends import needs_postgres
from tests.factories import make_department
from tests.factories.subjects import bound_account

TEMPLATE = "本人{主体名称}（身份证号：{主体代码}）就{承诺事项}承诺所报情况真实。{签署日期}"


@pytest.fixture
def committed(app, engine):
    with Session(engine) as s:
        last_audit = s.execute(select(func.max(AuditEntry.id))).scalar() or 0
        dept = make_department(s)
        admin = Actor("staff", 1, role=str(Role.CREDIT_ADMIN))
        item = save_item(s, admin, code="RACE-01", name="如实申报承诺", commitment_type="disclosure",
                         subject_kinds=["person"], template=TEMPLATE, department_code=dept.code).item
        account, person = bound_account(s, name="李同时")
        # notice already acknowledged: the race is on the commitment itself
        s.add(IntegrityAcknowledgement(subject_id=person.id, account_id=account.id, notice_version=0))
        s.commit()
        ids = {"dept": dept.id, "item": item.id, "account": account.id, "person": person.id}
    yield ids, Actor("account", ids["account"], person_id=ids["person"])
    with Session(engine) as s:
        mine = select(Commitment.id).where(Commitment.subject_id == ids["person"])
        s.execute(delete(CommitmentLetter).where(CommitmentLetter.commitment_id.in_(mine)))
        s.execute(delete(Commitment).where(Commitment.subject_id == ids["person"]))
        s.execute(delete(IntegrityAcknowledgement).where(IntegrityAcknowledgement.subject_id == ids["person"]))
        s.execute(delete(CommitmentTemplate).where(CommitmentTemplate.item_id == ids["item"]))
        s.execute(delete(CommitmentItem).where(CommitmentItem.id == ids["item"]))
        s.execute(delete(Account).where(Account.id == ids["account"]))
        s.execute(delete(Person).where(Person.id == ids["person"]))
        s.execute(delete(Subject).where(Subject.id == ids["person"]))
        s.execute(delete(Department).where(Department.id == ids["dept"]))
        # our audit rows are the tail of the chain (other tests roll back): removing them keeps it intact
        s.execute(delete(AuditEntry).where(AuditEntry.id > last_audit))
        s.commit()


@needs_postgres("two signings racing on the letter's unique index (SQLite serialises every writer)")
def test_two_signings_at_once_register_one_commitment(engine, committed):
    ids, actor = committed
    results: list[str] = []
    first = Session(engine)
    try:
        signing.sign_commitment(first, actor, ids["item"])  # flushed, not yet committed

        def second() -> None:
            with Session(engine) as s:
                try:
                    signing.sign_commitment(s, actor, ids["item"])
                    s.commit()
                    results.append("signed")
                except Conflict as err:
                    s.rollback()
                    results.append(err.reason)

        t = threading.Thread(target=second)
        t.start()
        t.join(2)  # the second waits for the first, or (the bug) signs beside it
        first.commit()
        t.join(20)
    finally:
        first.close()
    assert results == ["commitment_already_signed"]
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Commitment)
                         .where(Commitment.subject_id == ids["person"])).scalar_one() == 1

"""Two runs of the follow-up job at the same moment (two scheduler processes, a manual run during the
daily one): every lapsed commitment still gets exactly one 承诺履约核查 item (PostgreSQL, real commits)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.commitments.followups import KIND, open_followups
from backend.commitments.models import Commitment
from backend.common.clock import china_today
from backend.common.models import AuditEntry
from backend.queues.models import QueueEvent, QueueItem
from backend.staff.models import Department
from backend.subjects.models import Subject
from tests.backends import needs_postgres
from tests.factories import make_commitment, make_department
from tests.factories.subjects import make_subject

N = 6


@pytest.fixture
def lapsed(app, engine):  # the app configures the audit keys
    with Session(engine) as s:
        dept = make_department(s)
        subject = make_subject(s)
        ids = []
        for _ in range(N):
            c = make_commitment(s, subject.id, department_id=dept.id, status="active",
                                signed=china_today() - timedelta(days=400))
            c.valid_until = china_today() - timedelta(days=2)
            ids.append(c.id)
        s.commit()
        arranged = {"dept": dept.id, "subject": subject.id, "commitments": ids}
    yield arranged
    with Session(engine) as s:
        items = list(s.execute(select(QueueItem.id).where(QueueItem.kind == KIND, QueueItem.ref_id.in_(ids))).scalars())
        # Our audit rows are the tail of the chain (other tests roll back): removing them keeps it intact.
        s.execute(delete(AuditEntry).where(AuditEntry.target_type == "queue_item",
                                           AuditEntry.target_id.in_([str(i) for i in items])))
        s.execute(delete(QueueEvent).where(QueueEvent.item_id.in_(items)))
        s.execute(delete(QueueItem).where(QueueItem.id.in_(items)))
        s.execute(delete(Commitment).where(Commitment.id.in_(ids)))
        s.execute(delete(Subject).where(Subject.id == arranged["subject"]))
        s.execute(delete(Department).where(Department.id == arranged["dept"]))
        s.commit()


@needs_postgres("two job runs racing on the queue's unique item per commitment (SQLite serialises every writer)")
def test_two_runs_at_once_open_each_item_once(engine, lapsed):
    barrier = threading.Barrier(2)
    opened: dict[int, int] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with Session(engine) as s:
                barrier.wait(5)
                opened[n] = open_followups(s)
                s.commit()
        except BaseException as err:  # reported below: a thread's exception is otherwise lost
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with Session(engine) as s:
        refs = list(s.execute(select(QueueItem.ref_id).where(
            QueueItem.kind == KIND, QueueItem.ref_id.in_(lapsed["commitments"]))).scalars())
    assert sorted(refs) == sorted(lapsed["commitments"])  # one each, none twice
    assert sum(opened.values()) >= N  # (the runs may also open items of other lapsed commitments)

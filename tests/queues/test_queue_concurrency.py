"""Two reviewers claim the same item at the same moment: exactly one gets it (PostgreSQL, real commits)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM
from backend.common.models import AuditEntry
from backend.platform.errors import Conflict
from backend.queues import services as queue
from backend.queues.models import QueueEvent, QueueItem
from backend.staff.models import Department, Role, StaffUser
from tests.backends import needs_postgres
from tests.factories import make_department, make_staff
from tests.queues.helpers import actor_of


@pytest.fixture
def committed(app, engine):
    # ``app``: building it configures the audit chain's keys, which open_item and claim write with.
    with Session(engine) as s:
        dept = make_department(s)
        users = [make_staff(s, Role.DEPT_REVIEWER, dept) for _ in range(2)]
        item = queue.open_item(s, SYSTEM, kind="agency", ref_id=987654321, subject_id=None, department_id=dept.id)
        s.commit()
        ids = {"dept": dept.id, "users": [u.id for u in users], "item": item.id}
        actors = [actor_of(u) for u in users]
    yield ids, actors
    with Session(engine) as s:
        # Our audit rows are the tail of the chain (other tests roll back): removing them keeps it intact.
        s.execute(delete(AuditEntry).where(AuditEntry.target_type == "queue_item",
                                           AuditEntry.target_id == str(ids["item"])))
        s.execute(delete(QueueEvent).where(QueueEvent.item_id == ids["item"]))
        s.execute(delete(QueueItem).where(QueueItem.id == ids["item"]))
        s.execute(delete(StaffUser).where(StaffUser.id.in_(ids["users"])))
        s.execute(delete(Department).where(Department.id == ids["dept"]))
        s.commit()


@needs_postgres("two claims racing on the item's conditional UPDATE (SQLite serialises every writer)")
def test_two_reviewers_claiming_at_once_one_wins(engine, committed):
    ids, actors = committed
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def claim(n: int) -> None:
        with Session(engine) as s:
            barrier.wait(5)
            try:
                queue.claim(s, actors[n], ids["item"])
                s.commit()
                results[n] = "won"
            except Conflict as err:
                s.rollback()
                results[n] = err.reason

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results.values()) == ["item_claimed", "won"]
    winner = next(n for n, r in results.items() if r == "won")
    with Session(engine) as s:
        item = s.get(QueueItem, ids["item"])
        assert item.assignee_id == actors[winner].id
        claims = s.execute(select(QueueEvent).where(QueueEvent.item_id == item.id, QueueEvent.action == "claim")).all()
        assert len(claims) == 1

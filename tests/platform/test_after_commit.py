"""Side effects registered with after_commit run once the transaction commits, not at a savepoint."""

from __future__ import annotations

from backend.platform.db import after_commit


def test_releasing_a_savepoint_does_not_run_the_hooks(db):
    ran: list[str] = []
    after_commit(db, lambda: ran.append("job"))
    with db.begin_nested():  # e.g. an insert guarded against a duplicate (records/services.py)
        pass
    assert ran == []  # nothing is committed yet: a job now would not see the data
    db.commit()
    assert ran == ["job"]


def test_hooks_of_a_rolled_back_transaction_never_run(db):
    ran: list[str] = []
    after_commit(db, lambda: ran.append("job"))
    with db.begin_nested():
        pass
    db.rollback()
    db.commit()
    assert ran == []

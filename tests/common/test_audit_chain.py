"""The hash-chained audit log: appends link up, tampering is found, ``flask audit verify`` says so."""

from __future__ import annotations

import threading

from sqlalchemy import JSON, bindparam, delete, select, text
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import GENESIS, audit, verify_chain
from backend.common.models import AuditEntry
from backend.platform.db import make_engine
from tests.backends import needs_postgres

STAFF = Actor("staff", 7, role="credit_admin", ip="10.0.0.8")


def _last_hash(session: Session) -> str:
    return session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar() or GENESIS


def _append(db, n: int) -> list[AuditEntry]:
    return [audit(db, STAFF, "test.append", "record", i, step=i, note="第几步") for i in range(n)]


def test_appends_link_into_one_chain(db):
    before = _last_hash(db)
    rows = _append(db, 4)
    assert rows[0].prev_hash == before
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert later.prev_hash == earlier.hash and later.id > earlier.id
    assert len({r.hash for r in rows}) == 4
    assert rows[2].actor == "staff:7" and rows[2].target_id == "2" and rows[2].ip == "10.0.0.8"
    report = verify_chain(db)
    assert report.ok and report.checked >= 4


def test_verify_reads_back_what_was_written(db):
    # Round trip through the database: datetimes, JSON and None survive and still hash the same.
    _append(db, 2)
    audit(db, Actor("system"), "test.none", None, None)
    db.commit()  # the test's savepoint: the rows now come back from the database
    db.expire_all()
    assert verify_chain(db, batch=2).ok


def test_rolled_back_append_leaves_the_chain_intact(db):
    _append(db, 1)
    nested = db.begin_nested()
    audit(db, STAFF, "test.rolled_back")
    nested.rollback()
    _append(db, 1)
    assert verify_chain(db).ok


def test_altered_details_are_found_at_that_row(db):
    rows = _append(db, 5)
    db.execute(
        text("UPDATE audit_log SET details = :d WHERE id = :id").bindparams(bindparam("d", type_=JSON)),
        {"d": {"step": 99, "note": "第几步"}, "id": rows[2].id},
    )
    report = verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == rows[2].id
    assert "altered" in report.problem
    rows_before = len(db.execute(select(AuditEntry.id).where(AuditEntry.id < rows[2].id)).all())
    assert report.checked == rows_before  # every row before the bad one was fine


def test_altered_actor_is_found(db):
    rows = _append(db, 3)
    db.execute(text("UPDATE audit_log SET actor = 'staff:1' WHERE id = :id"), {"id": rows[1].id})
    assert verify_chain(db).first_bad_id == rows[1].id


def test_rewritten_hash_breaks_the_next_link(db):
    rows = _append(db, 3)
    db.execute(text("UPDATE audit_log SET hash = :h WHERE id = :id"), {"h": "f" * 64, "id": rows[1].id})
    report = verify_chain(db)
    assert report.first_bad_id == rows[1].id  # its content no longer matches the stored hash


def test_deleted_middle_row_is_found_at_the_next_row(db):
    rows = _append(db, 5)
    db.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": rows[2].id})
    report = verify_chain(db)
    assert report.first_bad_id == rows[3].id
    assert "removed" in report.problem


def test_cli_reports_ok(app, db):
    _append(db, 3)
    db.flush()
    total = len(db.execute(select(AuditEntry.id)).all())
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert result.output.strip() == f"audit chain OK: {total} rows"


def test_cli_reports_the_broken_row_and_exits_1(app, db):
    rows = _append(db, 4)
    db.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": rows[1].id})
    db.flush()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert result.output.startswith(f"audit chain BROKEN at row {rows[2].id}: ")


@needs_postgres("concurrent appenders serialised by PostgreSQL's advisory lock")
def test_concurrent_appenders_keep_one_linear_chain(engine, database_url):
    own = make_engine(database_url)
    with own.connect() as conn:
        start_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    writers, per_writer = 4, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with Session(own) as session:
                    audit(session, Actor("staff", n), "test.concurrent", "writer", n, i=i)
                    session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        with Session(own) as session:
            rows = session.execute(
                select(AuditEntry.id, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.actor)
                .where(AuditEntry.id > start_id).order_by(AuditEntry.id)
            ).all()
            assert len(rows) == writers * per_writer
            assert len({r.actor for r in rows}) == writers
            prevs = [r.prev_hash for r in rows]
            assert len(set(prevs)) == len(prevs), "two rows claim the same predecessor: the chain forked"
            for earlier, later in zip(rows, rows[1:], strict=False):
                assert later.prev_hash == earlier.hash
            assert verify_chain(session).ok
    finally:
        with own.begin() as conn:
            conn.execute(delete(AuditEntry).where(AuditEntry.id > start_id))
        own.dispose()

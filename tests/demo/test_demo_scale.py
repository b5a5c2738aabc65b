"""``flask demo seed --scale N``: valid, encrypted, indexed data; COPY on PostgreSQL; schema intact."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import event, func, select, text

from backend.calendar.workdays import add_working_days
from backend.common.ids import parse_resident_id, parse_uscc
from backend.demo.rows import resident_id_for
from backend.demo.scale import load_scale
from backend.demo.seed import seed_demo
from backend.lists.models import ListEntry
from backend.records.models import CreditRecord, RecordKind, Severity
from backend.records.rules import publicity_window
from backend.subjects.models import Firm, Person, Subject
from backend.subjects.services import find_person, id_number_index, phone_index
from tests.backends import needs_postgres

TODAY = date(2026, 11, 20)


def _count(db, model) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar()


def _schema(db) -> set[tuple[str, str]]:
    """Every index and constraint definition of the loaded tables (PostgreSQL)."""
    tables = ["subjects", "persons", "firms", "credit_records", "list_entries"]
    idx = db.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"), {"t": tables})
    cons = db.execute(text(
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = ANY(:t)"), {"t": tables})
    return {tuple(r) for r in idx} | {tuple(r) for r in cons}


def test_scale_command_loads_n_persons(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "200", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["persons"] == 200 and report["firms"] == 25
    assert _count(db, Person) == 200
    assert _count(db, Firm) == 25
    records = _count(db, CreditRecord)
    assert 600 <= records <= 1200  # about four per subject
    assert report["tables"]["credit_records"]["rows"] == records


def test_scale_rows_are_valid_encrypted_and_indexed(app, db):
    report = load_scale(db, 200, today=TODAY)
    db.flush()
    ids = range(report.first_subject_id, report.first_subject_id + 225)
    persons = db.execute(select(Person).where(Person.id.in_(ids))).scalars().all()
    assert len(persons) == 200
    for p in persons:
        rid = parse_resident_id(p.id_number)  # decrypts with the real keyring
        assert p.id_number_bidx == id_number_index(rid.number)
        assert p.phone is None or p.phone_bidx == phone_index(p.phone)
        assert (p.gender, p.birth_year, p.region_code) == (rid.gender, rid.birth_date.year, rid.region)
    assert find_person(db, persons[0].id_number).id == persons[0].id  # found through the blind index
    raw = db.execute(text("SELECT id_number, name FROM persons")).all()
    assert not any(r.id_number.isdigit() or r.id_number[:17].isdigit() for r in raw)
    for firm in db.execute(select(Firm)).scalars():
        parse_uscc(firm.uscc)
        assert firm.legal_rep_id in ids
    kinds = {r.kind for r in db.execute(select(CreditRecord)).scalars()}
    assert len(kinds) >= 12
    assert db.execute(select(func.count()).select_from(Subject).where(Subject.id.in_(ids))).scalar() == 225


def test_scale_windows_and_deadlines_follow_the_rules(app, db):
    load_scale(db, 120, today=TODAY)
    db.flush()
    rows = db.execute(select(CreditRecord).order_by(CreditRecord.id).limit(80)).scalars().all()
    for r in rows:
        w = publicity_window(RecordKind(r.kind), Severity(r.severity) if r.severity else None, r.decision_date,
                             r.domain, r.polarity)
        assert (r.publicity_start, r.publicity_min_end, r.publicity_max_end, r.rule_version) == (
            w.start, w.min_end, w.max_end, w.rule_version)
        assert r.publish_deadline == add_working_days(db, r.decision_date, 7)
        assert str(r.status) == ("expired" if r.publicity_max_end and r.publicity_max_end < TODAY else "publicizing")
        assert date(2023, 1, 1) <= r.decision_date < TODAY


def test_scale_after_demo_seed_and_twice_does_not_collide(app, db):
    seed_demo(db, env="development")
    load_scale(db, 150, today=TODAY)
    load_scale(db, 150, today=TODAY)
    db.flush()
    assert _count(db, Person) == 36 + 300
    assert db.execute(select(func.count(func.distinct(Person.id_number_bidx)))).scalar() == 336
    assert db.execute(select(func.count(func.distinct(Firm.uscc)))).scalar() == 24 + 36


def test_codes_are_distinct_and_valid_across_many_ids():
    numbers = [resident_id_for(i) for i in range(1, 20_001)]
    assert len(set(numbers)) == len(numbers)
    for n in numbers[::97]:
        parse_resident_id(n)


@needs_postgres("COPY is PostgreSQL's bulk path (SQLite uses chunked inserts, tested above)")
def test_postgresql_load_goes_through_copy_and_keeps_the_schema(app, db):
    before = _schema(db)
    statements: list[str] = []

    def _seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", _seen)
    try:
        report = load_scale(db, 200, today=TODAY, rebuild_indexes=True)
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    assert report.backend == "postgresql"
    assert "rebuild_indexes_and_keys" in report.steps
    assert not any(s.lstrip().upper().startswith(("INSERT INTO PERSONS", "INSERT INTO CREDIT_RECORDS"))
                   for s in statements)
    assert _count(db, Person) == 200 and _count(db, ListEntry) >= 0
    assert _schema(db) == before
    # The foreign keys are back and enforced.
    with pytest.raises(Exception, match="fk_credit_records_subject_id_subjects"):
        with db.begin_nested():
            db.execute(text("UPDATE credit_records SET subject_id = -1 WHERE id = (SELECT min(id) FROM credit_records)"))

"""Personal data is protected by construction: encrypted at rest, found by blind index, rotatable,
and never in a log line, an error message or an ``errors`` field."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from sqlalchemy import inspect, select, text

from backend.common import crypto
from backend.common.actor import Actor
from backend.common.crypto import PIIError
from backend.common.ids import make_resident_id, make_uscc
from backend.platform.errors import ValidationFailed
from backend.subjects.models import Person
from backend.subjects.services import find_person, register_firm, register_person
from tests.conftest import TEST_INDEX_KEY, TEST_PII_KEYS

ID_NUMBER = "32080319880521422X"
NAME = "欧阳明月"
PHONE = "13912345678"
STAFF = Actor("staff", 1, role="credit_office")


@pytest.fixture
def keyring_restored():
    """Tests that switch the process keyring put the test app's keyring back afterwards."""
    yield
    crypto.configure(TEST_PII_KEYS, "t1", TEST_INDEX_KEY)


def _raw(db, sql, **params):
    return db.execute(text(sql), params).mappings().one()


def _forms(value: str) -> set[str]:
    """How a plaintext could appear in a stored value: as is, or JSON-escaped (\\u6b27…)."""
    return {value, json.dumps(value)[1:-1]}


def test_id_number_format_is_valid():
    assert make_resident_id("320803", date(1988, 5, 21), 422) == ID_NUMBER


def test_persons_row_holds_no_plaintext(db):
    person = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME, phone=PHONE)
    row = _raw(db, "SELECT id_number, id_number_bidx, name, phone, phone_bidx FROM persons WHERE id = :id",
               id=person.id)
    blob = " ".join(str(v) for v in row.values())
    for secret in (ID_NUMBER, ID_NUMBER[:17], NAME, PHONE):
        assert secret not in blob
    assert row["id_number"].startswith("t1$") and row["name"].startswith("t1$") and row["phone"].startswith("t1$")
    # …and the application reads the plaintext back.
    db.expire_all()
    again = db.get(Person, person.id)
    assert (again.id_number, again.name, again.phone) == (ID_NUMBER, NAME, PHONE)


def test_no_table_anywhere_holds_personal_data_in_clear(db):
    rep = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME, phone=PHONE)
    register_firm(db, STAFF, uscc=make_uscc("91", "320803", "MA1P0G7C"), name="淮安区清风茶叶有限公司",
                  legal_rep=rep, address="淮安区河下古镇1号")
    db.flush()
    secrets = set().union(*(_forms(s) for s in (ID_NUMBER, ID_NUMBER[:17], NAME, PHONE)))
    quote = db.get_bind().dialect.identifier_preparer.quote
    tables = inspect(db.connection()).get_table_names()
    assert "persons" in tables and "audit_log" in tables
    scanned = 0
    for table in tables:
        for row in db.execute(text(f"SELECT * FROM {quote(table)}")).mappings():
            scanned += 1
            for column, value in row.items():
                if value is None:
                    continue
                dumped = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
                for secret in secrets:
                    assert secret not in dumped, f"{table}.{column} holds personal data in clear"
    assert scanned >= 5  # subjects ×2, persons, firms, audit_log ×2: the scan really looked


def test_blind_index_finds_the_person_however_the_number_is_typed(db):
    person = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME)
    assert find_person(db, ID_NUMBER.lower()) is person
    assert find_person(db, "320803 19880521 422x") is person
    assert find_person(db, make_resident_id("320803", date(1988, 5, 21), 425)) is None


def test_ciphertext_moved_to_another_column_does_not_decrypt(db):
    person = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME, phone=PHONE)
    pid = person.id
    db.execute(text("UPDATE persons SET phone = id_number WHERE id = :id"), {"id": pid})
    db.expire_all()
    with pytest.raises(PIIError):
        db.execute(select(Person.phone).where(Person.id == pid)).scalar()
    assert db.execute(select(Person.id_number).where(Person.id == pid)).scalar() == ID_NUMBER


def test_data_written_under_the_old_key_reads_after_rotation(db, keyring_restored):
    crypto.configure(TEST_PII_KEYS, "t0", TEST_INDEX_KEY)  # as the app was configured last year
    person = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME, phone=PHONE)
    assert _raw(db, "SELECT name FROM persons WHERE id = :id", id=person.id)["name"].startswith("t0$")
    crypto.configure(TEST_PII_KEYS, "t1", TEST_INDEX_KEY)  # PII_ACTIVE_KEY=t1, t0 still listed
    db.expire_all()
    again = db.get(Person, person.id)
    assert (again.id_number, again.name, again.phone) == (ID_NUMBER, NAME, PHONE)
    assert find_person(db, ID_NUMBER) is again  # the blind index does not depend on the key


def _people(db, n, start=0):
    return [
        register_person(db, STAFF, id_number=make_resident_id("320803", date(1980, 1, 1 + i), 11 + 2 * i),
                        name=f"王{'一二三四五六七八九'[i]}", phone=f"1381234567{i}" if i % 2 else None)
        for i in range(start, start + n)
    ]


def _persons_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("persons:"))


def test_flask_pii_rotate_reencrypts_everyone_in_batches(app, db, keyring_restored):
    crypto.configure(TEST_PII_KEYS, "t0", TEST_INDEX_KEY)
    people = _people(db, 5)
    plain = {p.id: (p.id_number, p.name, p.phone) for p in people}
    db.flush()
    crypto.configure(TEST_PII_KEYS, "t1", TEST_INDEX_KEY)

    result = app.test_cli_runner().invoke(args=["pii", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert _persons_line(result.output) == (
        "persons: 5 rows scanned, 5 rows re-encrypted (12 values), 0 values already current, 0 rows failed"
    )
    for pid in plain:
        row = _raw(db, "SELECT id_number, name, phone FROM persons WHERE id = :id", id=pid)
        assert all(v is None or v.startswith("t1$") for v in row.values())
    db.expire_all()
    assert {p.id: (p.id_number, p.name, p.phone) for p in db.scalars(select(Person))} == plain
    entries = db.execute(text("SELECT details FROM audit_log WHERE action = 'pii.rotate' AND target_id = 'persons'"))
    assert len(entries.all()) == 1

    again = app.test_cli_runner().invoke(args=["pii", "rotate"])
    assert again.exit_code == 0
    assert "0 rows re-encrypted (0 values), 12 values already current" in _persons_line(again.output)


def test_flask_pii_rotate_reports_unreadable_rows_and_fails(app, db, keyring_restored):
    people = _people(db, 3)
    db.execute(text("UPDATE persons SET name = 'gone$AAAA' WHERE id = :id"), {"id": people[1].id})
    db.flush()
    result = app.test_cli_runner().invoke(args=["pii", "rotate"])
    assert result.exit_code == 1
    assert "1 rows failed" in _persons_line(result.output)


def test_flask_pii_status_counts_values_per_key(app, db, keyring_restored):
    crypto.configure(TEST_PII_KEYS, "t0", TEST_INDEX_KEY)
    _people(db, 2)
    crypto.configure(TEST_PII_KEYS, "t1", TEST_INDEX_KEY)
    _people(db, 3, start=2)
    db.flush()
    out = app.test_cli_runner().invoke(args=["pii", "status"]).output
    assert "persons.name: t0: 2, t1: 3" in out


# --- never in logs, messages or error fields ----------------------------------------------


@pytest.fixture
def sql_echo():
    """Log every SQL statement with its parameters (set before the test's connection opens)."""
    logger = logging.getLogger("sqlalchemy.engine")
    before = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(before)


def test_personal_data_never_reaches_the_logs(sql_echo, caplog, client, db):
    caplog.set_level(logging.DEBUG)
    person = register_person(db, STAFF, id_number=ID_NUMBER, name=NAME, phone=PHONE)
    assert find_person(db, ID_NUMBER) is person
    bad = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as info:
        register_person(db, STAFF, id_number=bad, name=NAME)
    db.flush()
    resp = client.get(f"/public/v1/firms/{bad}")  # an ID number typed into the firm search
    assert resp.status_code == 422

    records = caplog.records
    assert any("INSERT INTO persons" in r.getMessage() for r in records)  # the SQL really was logged
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    for secret in (ID_NUMBER, bad, NAME, PHONE):
        assert secret not in logged
    for text_out in (info.value.message, str(info.value), json.dumps(info.value.errors, ensure_ascii=False),
                     resp.get_data(as_text=True)):
        assert bad not in text_out and bad[:17] not in text_out


@pytest.mark.parametrize("bad", ["naive_datetime", "too_long_to_encrypt"])
def test_sql_errors_do_not_carry_plaintext_parameters(db, bad):
    # A programming error while writing a person (here: bypassing the service) ends as a logged
    # 500; SQLAlchemy would put the row's plaintext parameters into that message.
    from datetime import datetime

    from sqlalchemy.exc import StatementError

    from backend.subjects.models import Subject, SubjectKind

    subject = Subject(kind=SubjectKind.PERSON)
    db.add(subject)
    db.flush()
    person = Person(id=subject.id, id_number=ID_NUMBER, id_number_bidx="x" * 64, name=NAME, phone=PHONE,
                    gender="F", birth_year=1988, region_code="320803")
    if bad == "naive_datetime":
        person.created_at = datetime(2026, 1, 1)
    else:
        person.name = NAME * 40
    db.add(person)
    with pytest.raises(StatementError) as info:
        db.flush()
    db.rollback()
    message = str(info.value)
    assert "INSERT INTO persons" in message
    for secret in (ID_NUMBER, NAME, PHONE):
        assert secret not in message

"""The scale loader: N persons, N/8 firms and about four credit records per subject, for benchmarks.

PostgreSQL: one transaction of ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy`` / ``write_row``), with
the non-unique indexes and the foreign keys of the loaded tables dropped before and recreated after
from their own definitions (``pg_get_indexdef`` / ``pg_get_constraintdef``), so the end state is the
migrated schema and every key is validated once, set-based. SQLite: ``executemany`` in chunks.

Nothing is faked that the application would read differently: ID numbers, names and phones are
AES-GCM ciphertext from the real keyring with the same blind indexes as
:mod:`backend.subjects.services`; USCCs and resident IDs are valid; publicity windows come from
:func:`backend.records.rules.publicity_window` and deadlines from a working-day calendar loaded once
(see :mod:`backend.demo.rows`). Subject ids are reserved as a block from the ``subjects`` sequence
before the load. Deterministic: the same seed on an empty database gives the same rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.crypto import EncryptedString
from backend.demo.rows import RecordFactory, firm_rows, list_rows, person_rows
from backend.lists.models import ListEntry
from backend.records.models import CreditRecord, RecordBatch
from backend.records.validation import local_today
from backend.staff.models import Department
from backend.subjects.models import Firm, Person, Subject

AUTO_REBUILD_FROM = 50_000  # persons; below this, dropping and rebuilding indexes costs more than it saves

PERSON_COLS = ("id", "id_number", "id_number_bidx", "name", "phone", "phone_bidx", "gender", "birth_year",
               "region_code", "created_at")
FIRM_COLS = ("id", "uscc", "name", "entity_type", "region_code", "legal_rep_id", "legal_rep_title",
             "established_on", "registered_capital", "address", "industry", "reg_status", "created_at")
RECORD_COLS = ("subject_id", "kind", "polarity", "department_id", "decision_no", "decision_date", "title",
               "summary", "legal_basis", "severity", "domain", "amount_yuan", "publicity_start",
               "publicity_min_end", "publicity_max_end", "publish_deadline", "published_late", "rule_version",
               "publication", "status", "status_changed_at", "version", "is_current", "batch_id", "created_at")
LIST_COLS = ("subject_id", "list_type", "department_id", "decision_no", "reason", "legal_basis", "domain",
             "listed_on", "expires_on", "status", "created_at")
LOADED_TABLES = ("subjects", "persons", "firms", "credit_records", "list_entries")


@dataclass
class TableTiming:
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class ScaleReport:
    persons: int
    firms: int
    first_subject_id: int
    backend: str
    tables: dict[str, TableTiming] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # index drop/rebuild, analyze … in seconds
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "persons": self.persons,
            "firms": self.firms,
            "first_subject_id": self.first_subject_id,
            "tables": {name: {"rows": t.rows, "seconds": round(t.seconds, 3), "rows_per_second": round(t.rows_per_second)}
                       for name, t in self.tables.items()},
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
            "total_rows": self.total_rows,
            "total_seconds": round(self.seconds, 3),
            "total_rows_per_second": round(self.total_rows / self.seconds) if self.seconds else 0,
        }


# --- writers ---------------------------------------------------------------------------------


def _completed(table: sa.Table, cols: Sequence[str]) -> tuple[tuple[str, ...], tuple]:
    """Columns of ``table`` the generator does not fill but that have a Python default: add them."""
    extra_cols, extra_vals = [], []
    for col in table.columns:
        if col.name in cols or col.name == "id" or col.default is None:
            continue
        default = col.default
        value = default.arg if default.is_scalar else default.arg(None) if default.is_callable else None
        if value is None:
            continue
        extra_cols.append(col.name)
        extra_vals.append(value.value if hasattr(value, "value") else value)
    return tuple(cols) + tuple(extra_cols), tuple(extra_vals)


class Writer:
    """Streams rows into a table: COPY on PostgreSQL, chunked executemany elsewhere."""

    def __init__(self, session: Session, report: ScaleReport, chunk: int = 5000) -> None:
        self.session = session
        self.report = report
        self.chunk = chunk
        self.pg = session.get_bind().dialect.name == "postgresql"

    def write(self, table: sa.Table, cols: Sequence[str], rows: Iterable[tuple]) -> int:
        all_cols, extra = _completed(table, cols)
        started = time.perf_counter()
        count = self._copy(table, all_cols, rows, extra) if self.pg else self._insert(table, all_cols, rows, extra)
        timing = self.report.tables.setdefault(table.name, TableTiming())
        timing.rows += count
        timing.seconds += time.perf_counter() - started
        return count

    def _copy(self, table: sa.Table, cols: Sequence[str], rows: Iterable[tuple], extra: tuple) -> int:
        raw = self.session.connection().connection.driver_connection
        count = 0
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            write = copy.write_row
            if extra:
                for row in rows:
                    write(row + extra)
                    count += 1
            else:
                for row in rows:
                    write(row)
                    count += 1
        return count

    def _insert(self, table: sa.Table, cols: Sequence[str], rows: Iterable[tuple], extra: tuple) -> int:
        # Plain column types (ciphertext is already made), but keep the dialect's date/time handling.
        plain = sa.table(table.name, *[
            sa.column(c, sa.String() if isinstance(table.c[c].type, EncryptedString) else table.c[c].type)
            for c in cols
        ])
        stmt = sa.insert(plain)
        conn = self.session.connection()
        count, batch = 0, []
        for row in rows:
            batch.append(dict(zip(cols, row + extra, strict=True)))
            if len(batch) >= self.chunk:
                conn.execute(stmt, batch)
                count += len(batch)
                batch = []
        if batch:
            conn.execute(stmt, batch)
            count += len(batch)
        return count


# --- PostgreSQL: id block, indexes and keys around the load -----------------------------------


def reserve_subject_ids(session: Session, count: int) -> int:
    """Reserve ``count`` consecutive subject ids; returns the first. Concurrent inserts wait (lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("LOCK TABLE subjects IN EXCLUSIVE MODE"))
        seq = session.execute(sa.text("SELECT pg_get_serial_sequence('subjects', 'id')")).scalar()
        first = session.execute(sa.text("SELECT nextval(:s)"), {"s": seq}).scalar()
        session.execute(sa.text("SELECT setval(:s, :v)"), {"s": seq, "v": first + count - 1})
        return int(first)
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.max(Subject.id), 0))).scalar()) + 1


@dataclass
class SavedSchema:
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)


def drop_secondary(session: Session, tables: Sequence[str]) -> SavedSchema:
    """Drop the non-unique indexes and the foreign keys of ``tables``, remembering their definitions."""
    names = list(tables)
    idx = session.execute(sa.text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() AND t.relname = ANY(:t) AND NOT i.indisunique AND NOT i.indisprimary "
        "ORDER BY 1"), {"t": names}).all()
    fks = session.execute(sa.text(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() AND t.relname = ANY(:t) AND c.contype = 'f' ORDER BY 1, 2"),
        {"t": names}).all()
    for table, name, _ in fks:
        session.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in idx:
        session.execute(sa.text(f"DROP INDEX {name}"))
    return SavedSchema([tuple(r) for r in idx], [tuple(r) for r in fks])


def restore_secondary(session: Session, saved: SavedSchema) -> None:
    """Recreate what :func:`drop_secondary` dropped; adding a foreign key validates every row once."""
    session.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for _, ddl in saved.indexes:
        session.execute(sa.text(ddl))
    for table, name, definition in saved.foreign_keys:
        session.execute(sa.text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


# --- the loader ------------------------------------------------------------------------------


def load_scale(
    session: Session,
    persons: int,
    *,
    seed: int = 20200080,
    today: date | None = None,
    actor: Actor = SYSTEM,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaleReport:
    """Load ``persons`` persons, ``persons // 8`` firms, ~4 records per subject and a few list entries.

    Flushes and writes in the session's transaction; the caller commits. ``rebuild_indexes`` (default:
    PostgreSQL and at least 50,000 persons) drops and recreates non-unique indexes and foreign keys.
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or local_today()
    now = datetime.now(UTC)
    firms = persons // 8
    session.flush()
    backend = session.get_bind().dialect.name
    pg = backend == "postgresql"
    if rebuild_indexes is None:
        rebuild_indexes = pg and persons >= AUTO_REBUILD_FROM
    rebuild_indexes = rebuild_indexes and pg

    first = reserve_subject_ids(session, persons + firms)
    report = ScaleReport(persons, firms, first, backend)
    person_ids = range(first, first + persons)
    firm_ids = range(first + persons, first + persons + firms)
    batch_id = session.execute(sa.insert(RecordBatch).values(
        department_id=session.execute(sa.select(Department.id).where(Department.code == "FGW")).scalar(),
        source="bulk", total_rows=0, accepted_rows=0, rejected_rows=0, errors=[], created_at=now,
    ).returning(RecordBatch.id)).scalar() if _has_department(session, "FGW") else None
    factory = RecordFactory(session, rng, today, batch_id, now)

    saved = None
    if rebuild_indexes:
        step = time.perf_counter()
        if pg:
            session.execute(sa.text("SET LOCAL synchronous_commit = off"))
        saved = drop_secondary(session, LOADED_TABLES)
        report.steps["drop_indexes_and_keys"] = time.perf_counter() - step

    writer = Writer(session, report)
    say(f"subjects {persons + firms} from id {first}")
    writer.write(Subject.__table__, ("id", "kind", "created_at"),
                 ((sid, "person" if sid < firm_ids.start else "firm", now) for sid in range(first, firm_ids.stop)))
    say("persons")
    writer.write(Person.__table__, PERSON_COLS, person_rows(first, persons, rng, now))
    say("firms")
    writer.write(Firm.__table__, FIRM_COLS, firm_rows(firm_ids.start, firms, person_ids, rng, now))
    say("credit records")

    def all_records() -> Iterator[tuple]:
        for sid in person_ids:
            yield from factory.rows(sid, "person")
        for sid in firm_ids:
            yield from factory.rows(sid, "firm")

    records = writer.write(CreditRecord.__table__, RECORD_COLS, all_records())
    say("list entries")
    kinds = ((sid, "person") for sid in person_ids)
    firm_kinds = ((sid, "firm") for sid in firm_ids)
    writer.write(ListEntry.__table__, LIST_COLS,
                 list_rows(_chain(kinds, firm_kinds), rng, factory.dept_ids, today, now))
    if batch_id is not None:
        session.execute(sa.update(RecordBatch).where(RecordBatch.id == batch_id)
                        .values(total_rows=records, accepted_rows=records))

    if saved is not None:
        say("rebuilding indexes and foreign keys")
        step = time.perf_counter()
        restore_secondary(session, saved)
        report.steps["rebuild_indexes_and_keys"] = time.perf_counter() - step
    say("analyze")
    step = time.perf_counter()
    for table in LOADED_TABLES:
        session.execute(sa.text(f"ANALYZE {table}"))
    report.steps["analyze"] = time.perf_counter() - step
    audit(session, actor, "demo.scale_load", "subject", first, persons=persons, firms=firms, records=records,
          batch_id=batch_id)
    report.seconds = time.perf_counter() - started
    return report


def _has_department(session: Session, code: str) -> bool:
    return session.execute(sa.select(Department.id).where(Department.code == code)).first() is not None


def _chain(*iterables: Iterable) -> Iterator:
    for it in iterables:
        yield from it

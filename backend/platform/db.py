"""Database plumbing: the declarative base, engines, the per-request session, after-commit hooks.

Services receive a ``Session`` and flush; only the request (or job) wrapper commits. Side effects
that must not happen for a rolled-back change are registered with :func:`after_commit`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# Predictable constraint names, so Alembic can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive values: read them as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def enum_col(enum_cls: type[Any], length: int = 32) -> Enum:
    """Store a StrEnum by value as a plain string (portable, readable in SQL, no native type)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# How long a SQLite writer waits for another one to finish before "database is locked" (ms).
# Write transactions of the embedded default take milliseconds; a 10,000-row batch about a second.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL: readers never block the writer and the writer never blocks readers.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


_WRITE_LOCK_OPTION = "sqlite_begin_immediate"
_HOLDS_WRITER = "sqlite_holds_writer_lock"


def _sqlite_begin(conn: Connection) -> None:
    # Sessions (requests, jobs) begin IMMEDIATE: they take the write lock when the transaction
    # starts, waiting (busy_timeout) for it. A deferred transaction that reads and then writes (a
    # share view counts itself, a login updates its account) cannot wait: when another writer
    # committed since its read, SQLite refuses the upgrade at once ("database is locked",
    # SQLITE_BUSY_SNAPSHOT) whatever the timeout. Transactions are short, so serialising them
    # costs a small office nothing. Plain connections (readiness probe, reports) stay deferred.
    if not conn.get_execution_options().get(_WRITE_LOCK_OPTION):
        conn.exec_driver_sql("BEGIN")
        return
    # The threads of this process queue on a lock first: SQLite's busy handler polls with sleeps
    # and is not fair, so under load one thread could lose every retry until the timeout. With
    # the lock only one thread at a time waits on SQLite (for another process, if any). Bounded:
    # a thread that already holds it (a second session in one request) does not deadlock.
    lock = _writer_lock(conn.engine)
    if lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        conn.info[_HOLDS_WRITER] = True
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_writer(conn)
        raise


_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    key = str(engine.url)
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


def _release_writer(conn: Connection) -> None:
    if conn.info.pop(_HOLDS_WRITER, False):
        _writer_lock(conn.engine).release()


def _sqlite_end(conn: Connection) -> None:
    _release_writer(conn)


def make_engine(url: str, echo: bool = False) -> Engine:
    """The engine of ``url``. ``hide_parameters``: a database error's text (logged with the traceback
    of every unexpected error, in requests and jobs) names the statement but not its values, which
    may be a person's free text, name or number."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        # The transaction ends: the next thread may begin (it then waits the few ms of this commit).
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        return engine
    # pool_pre_ping stays on: it costs one round trip per checkout. Only requests that run SQL check
    # out a connection; the cheapest of them, a warm me/card, runs one query (the session joined to
    # the card version), so there the ping is one of four round trips (ping, BEGIN, SELECT, COMMIT)
    # and ~7 % of the request's CPU in-process. Without it, the first request on each pooled
    # connection after a PostgreSQL restart, failover or an idle cut by a firewall/pgbouncer answers
    # 500; a credit service should not trade that for 7 % of its cheapest request.
    # pool_recycle retires connections before common idle/lifetime limits (30 min) cut them.
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_recycle=1800, pool_size=10,
                         max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    bind = engine.execution_options(**{_WRITE_LOCK_OPTION: True}) if engine.dialect.name == "sqlite" else engine
    return sessionmaker(bind=bind, expire_on_commit=False, future=True)


# --- after-commit hooks -------------------------------------------------------------------

_HOOKS_KEY = "after_commit_hooks"


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's transaction commits; drop it if the transaction rolls back."""
    if not session.in_transaction():
        # Begin now, so that a rollback before the first statement still discards the hook.
        session.connection()
    session.info.setdefault(_HOOKS_KEY, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        # A SAVEPOINT was released (begin_nested): nothing is committed yet. Running the hooks now
        # would start jobs on data other connections cannot see — and on SQLite, a job's session
        # would wait for the write lock this very transaction holds.
        return
    hooks = session.info.pop(_HOOKS_KEY, [])
    for fn in hooks:
        try:
            fn()
        except Exception:  # a side effect must never undo a committed change
            log.exception("after-commit hook %r failed", fn)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_HOOKS_KEY, None)


# --- keeping bookkeeping through a refusal ------------------------------------------------

_KEEP_ON_REFUSAL_KEY = "commit_on_refusal"


def commit_on_refusal(session: Session) -> None:
    """Commit this transaction even if the request ends in a 4xx refusal.

    For bookkeeping that must outlive the refusal it records — the failed-login counter and the
    audit row of a failed staff login. Everything flushed in the session is committed, so call it
    only in services that changed nothing else. A 5xx (an unexpected error) still rolls back.
    """
    session.info[_KEEP_ON_REFUSAL_KEY] = True


def wants_commit_on_refusal(session: Session) -> bool:
    return bool(session.info.pop(_KEEP_ON_REFUSAL_KEY, False))


def affected_rows(session: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed (a conditional UPDATE's winner test)."""
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)



def upsert(session: Session, model: Any, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    """INSERT ``rows`` into ``model``'s table, each one UPDATING the other columns of the row with
    the same ``key`` columns when there is one (``INSERT … ON CONFLICT (key) DO UPDATE``, PostgreSQL
    and SQLite alike; many rows go as one batched statement). Two transactions creating the same row
    at once both succeed: the second waits for the first and updates its row, where a plain INSERT
    failed on the unique key. Every row names the same columns."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"upsert on {dialect}")
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    updates = {name: stmt.excluded[name] for name in rows[0] if name not in key}
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=updates), rows)

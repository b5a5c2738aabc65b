"""The one read behind every mini-program request: the session and its account's state.

``account_required`` must know that the token's session has not ended, that its account still
exists and is not disabled, and which person (实名) the account is bound to. That is ONE indexed
lookup (``auth_sessions`` by primary key joined to ``accounts``) or, with a warm entry, ONE Redis
round trip (``MGET`` of three keys). ``ACCOUNT_CACHE_TTL`` (default 60 s, 0 = off) is how long an
entry may be served.

Invalidation happens *after commit* wherever the answer changes, without any service having to
remember it: ending sessions (:func:`backend.sessions.services.end_sessions`), an ORM flush that
changes ``Account.disabled`` / ``person_id`` (listener below, which also *ends* the sessions of a
disabled, unbound or re-bound account in the same transaction), or a bulk ORM ``update(Account)``
(an epoch). Raw SQL that changes accounts must call :func:`invalidate_accounts` itself.

Keys, so that no entry can outlive the database state:

- ``sessepoch`` — global generation, replaced by a bulk change;
- ``sessgen:<account>`` — the account's generation, replaced after a change commits; when it is
  missing (expired, or Redis lost its data: restart, failover, ``FLUSHDB``) a reader *creates* a
  fresh random one before reading the database, and an entry only ever matches a generation that
  existed before its data was read;
- ``sess:<account>:<session>`` — ``<epoch>:<gen>|<state>``.

So a slow request that read the row before a change can never write it back under the current
generation, and a flushed Redis is a miss (the database answers), never an old "alive". A store
outage is a miss too.

The database row is the truth; the cached copy must not outlive it. An invalidation that Redis did
not take (it was down when the session ended) is kept by the app's :class:`Invalidator` and retried:
until it succeeds, this process reads the database on every request instead of the cache (the
retry is tried first; the store's outage breaker lets one try through every few seconds), so the
old "alive" entry is never served here once Redis answers again. In the normal case nothing is
pending and a request still costs one Redis round trip.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session

from backend.platform.db import utcnow
from backend.sessions.models import AuthSession, EndReason
from backend.subjects.models import Account, Subject

log = logging.getLogger(__name__)

DEFAULT_TTL = 60  # seconds; ``ACCOUNT_CACHE_TTL`` in the app config overrides
EPOCH_KEY = "sessepoch"
_PENDING = "session_cache_pending"
_ALL = -1  # the pending-set marker of "every account" (a bulk change)

# Built once: constructing a statement costs more than running it on a warm connection.
_STATE_QUERY = (
    select(AuthSession.ended_at, Account.disabled, Account.person_id)
    .join(Account, Account.id == AuthSession.account_id)
    .where(AuthSession.id == bindparam("sid"), AuthSession.account_id == bindparam("aid"))
)


@dataclass(frozen=True, slots=True)
class SessionState:
    """What ``account_required`` needs: the session is live and its account usable, and its person."""

    usable: bool
    person_id: int | None = None

    @classmethod
    def load(cls, session: Session, session_id: int, account_id: int) -> SessionState:
        row = session.connection().execute(_STATE_QUERY, {"sid": session_id, "aid": account_id}).first()
        if row is None or row[0] is not None or row[1]:
            return cls(usable=False)
        return cls(usable=True, person_id=row[2])

    def encode(self) -> bytes:
        if not self.usable:
            return b"x"
        return b"a" + (str(self.person_id).encode() if self.person_id else b"")

    @classmethod
    def decode(cls, raw: bytes) -> SessionState | None:
        flag, rest = raw[:1], raw[1:]
        if flag == b"x" and not rest:
            return cls(usable=False)
        if flag != b"a" or (rest and not rest.isdigit()):
            return None
        return cls(usable=True, person_id=int(rest) if rest else None)


# ``GET me/card``: the same check and, in the same indexed query, the card version of the account's
# person (``backend.cards.cache``), so the card's one database read is also the session's.
_STATE_AND_CARD_QUERY = (
    select(AuthSession.ended_at, Account.disabled, Account.person_id, Subject.card_version)
    .join(Account, Account.id == AuthSession.account_id)
    .outerjoin(Subject, Subject.id == Account.person_id)
    .where(AuthSession.id == bindparam("sid"), AuthSession.account_id == bindparam("aid"))
)


def state_and_card_version(session: Session, session_id: int, account_id: int) -> tuple[SessionState, int | None]:
    """The session's state straight from the database (no store involved) and the card version of
    its account's person (None: not bound, or unusable) — one query, for the views whose next read
    would be that version anyway (``me/card``)."""
    row = session.connection().execute(_STATE_AND_CARD_QUERY, {"sid": session_id, "aid": account_id}).first()
    if row is None or row[0] is not None or row[1]:
        return SessionState(usable=False), None
    return SessionState(usable=True, person_id=row[2]), row[3]


def entry_key(account_id: int, session_id: int) -> str:
    return f"sess:{account_id}:{session_id}"


def gen_key(account_id: int) -> str:
    return f"sessgen:{account_id}"


def _gen_ttl(ttl: int) -> int:
    return 2 * max(ttl, DEFAULT_TTL)


def read(store, session_id: int, account_id: int, ttl: int = DEFAULT_TTL) -> tuple[SessionState | None, bytes | None]:
    """``(cached state or None, tag)``; the tag is what :func:`write` needs, None if unusable."""
    keys = [EPOCH_KEY, gen_key(account_id), entry_key(account_id, session_id)]
    try:
        client = getattr(store, "client", None)
        if client is not None:  # Redis: one round trip for the three keys
            epoch, gen, entry = client.mget([store.prefix + k for k in keys])
        else:
            epoch, gen, entry = (store.get(k) for k in keys)
        if gen is None:
            # No generation (expired, or Redis lost its data): make one before the database is read,
            # so nothing written under an older one can ever match.
            fresh = secrets.token_hex(6).encode()
            gen = fresh if store.add(keys[1], fresh, ttl=_gen_ttl(ttl)) else store.get(keys[1])
            if gen is None:
                return None, None
            return None, (epoch or b"0") + b":" + gen
    except Exception:
        log.warning("session cache read failed for account %s", account_id, exc_info=True)
        return None, None
    tag = (epoch or b"0") + b":" + gen
    if entry:
        entry_tag, sep, raw = entry.partition(b"|")
        if sep and entry_tag == tag:
            return SessionState.decode(raw), tag
    return None, tag


def write(store, session_id: int, account_id: int, tag: bytes | None, state: SessionState, ttl: int) -> None:
    """Cache ``state`` under the tag read *before* the database was read (see module doc)."""
    if tag is None or ttl <= 0:
        return
    try:
        store.set(entry_key(account_id, session_id), tag + b"|" + state.encode(), ttl=ttl)
    except Exception:
        log.warning("session cache write failed for account %s", account_id, exc_info=True)


def account_session(store, db: Callable[[], Session], session_id: int, account_id: int, ttl: int,
                    invalidator: Invalidator | None = None) -> SessionState:
    """The state behind an access token: a warm entry, else one query (which fills the entry).

    While ``invalidator`` holds an invalidation the store has not taken, the database answers."""
    if store is None or ttl <= 0 or (invalidator is not None and not invalidator.settled()):
        return SessionState.load(db(), session_id, account_id)
    state, tag = read(store, session_id, account_id, ttl)
    if state is None:
        state = SessionState.load(db(), session_id, account_id)
        write(store, session_id, account_id, tag, state, ttl)
    return state


def bump(store, account_ids: Iterable[int], ttl: int = DEFAULT_TTL) -> set[int]:
    """Invalidate now: a new generation for each account (or the epoch for ``_ALL``); returns the
    accounts the store did not take (it did not answer)."""
    failed: set[int] = set()
    for aid in set(account_ids):
        key = EPOCH_KEY if aid == _ALL else gen_key(aid)
        try:
            stored = store.set(key, secrets.token_hex(6), ttl=None if aid == _ALL else _gen_ttl(ttl))
        except Exception:
            log.exception("session cache invalidation failed for account %s", aid)
            stored = False
        if stored is False:
            failed.add(aid)
    return failed


class Invalidator:
    """The app's after-commit invalidation (``drop_sessions``), with a retry for what Redis missed.

    ``__call__`` bumps the accounts' generations; the ones the store did not take stay pending and
    :meth:`settled` retries them. Readers (:func:`account_session`) ask :meth:`settled` first: an
    in-memory check when nothing is pending, so the normal case costs nothing more.
    """

    def __init__(self, store, ttl: int = DEFAULT_TTL) -> None:
        self.store = store
        self.ttl = ttl
        self._pending: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, account_ids: Iterable[int]) -> None:
        failed = bump(self.store, account_ids, self.ttl)
        if failed:
            with self._lock:
                self._pending |= failed
            log.warning("session cache: %d invalidations not taken by the store; retried, and the database "
                        "answers meanwhile", len(failed))

    @property
    def pending(self) -> frozenset[int]:
        return frozenset(self._pending)

    def settled(self) -> bool:
        """True when every invalidation reached the store (the pending ones are retried now)."""
        if not self._pending:
            return True
        with self._lock:
            todo = set(self._pending)
        failed = bump(self.store, todo, self.ttl)
        with self._lock:
            self._pending -= todo - failed
            return not self._pending


def invalidate_accounts(session: Session, account_ids: Iterable[int | None]) -> None:
    """Drop the cached sessions of ``account_ids`` once ``session`` commits; nothing on rollback.

    The ids are recorded on the session; the app's one after-commit listener
    (:func:`backend.subjects.changes.listen_for_changes`, handed the store) takes them
    (:func:`take_changed_accounts`) and :func:`bump` s their generations."""
    session.info.setdefault(_PENDING, set()).update(int(a) for a in account_ids if a is not None)


def take_changed_accounts(session: Session) -> set[int]:
    """The accounts whose cached sessions the committed transaction invalidated (and forget them)."""
    changed: set[int] = session.info.pop(_PENDING, set())
    return changed


def invalidate_all_accounts(session: Session) -> None:
    """After a bulk change of accounts (ids unknown): every cached session, once ``session`` commits."""
    invalidate_accounts(session, (_ALL,))


# --- invalidation (and ending) by construction ------------------------------------------------


def _changed(obj, name: str) -> tuple[bool, tuple, tuple]:
    hist = inspect(obj).attrs[name].history
    return hist.has_changes(), tuple(hist.deleted or ()), tuple(hist.added or ())


def ending_change(obj: Account) -> EndReason | None:
    """Why a flushed account change must throw its owner out: disabled, or unbound / re-bound.

    For ``after_flush`` listeners (here the sessions; ``backend.cards.sharing`` revokes shares)."""
    changed, _old, new = _changed(obj, "disabled")
    if changed and any(new):
        return EndReason.ACCOUNT_DISABLED
    for name in ("person_id", "person"):
        changed, old, new = _changed(obj, name)
        if changed and any(v is not None for v in old) and old != new:
            return EndReason.IDENTITY_CHANGED  # a first binding (none → someone) keeps the session
    return None


@event.listens_for(Session, "after_flush")
def _accounts_flushed(session: Session, _flush_context) -> None:
    changed: list[int] = []
    ending: dict[int, EndReason] = {}
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, Account):
            changed.append(obj.id)  # an id reused after a delete (SQLite) must not meet a stale entry
    for obj in session.dirty:
        if isinstance(obj, Account):
            if any(_changed(obj, name)[0] for name in ("disabled", "person_id", "person")):
                changed.append(obj.id)
            reason = ending_change(obj)
            if reason is not None:
                ending[obj.id] = reason
    # Core statements on the flush's connection: same transaction, no ORM flush inside a flush.
    table = AuthSession.__table__
    for account_id, reason in ending.items():
        session.connection().execute(
            update(table).where(table.c.account_id == account_id, table.c.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason.value)
        )
    if changed:
        invalidate_accounts(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _bulk_account_change(state) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) == "accounts":
            invalidate_all_accounts(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    # A rolled-back transaction changed no account: forget the ids, so the next commit does not
    # invalidate on its behalf.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)

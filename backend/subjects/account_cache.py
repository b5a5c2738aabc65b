"""The account state ``account_required`` checks, cached in the shared store (小程序账号状态缓存).

Every mini-program request must know that its account still exists, is not disabled, and which
person (实名) it is bound to. Reading that from the database costs a pool checkout, BEGIN, SELECT and
COMMIT per request — most of the time of a warm ``me/card``. So the three facts are kept in
``backend.platform.store.get_store()`` (Redis when configured, shared by every node) for
``ACCOUNT_CACHE_TTL`` seconds (default 60; 0 turns the cache off), and invalidated *after commit*
wherever they change — without any service having to remember it:

- an ORM flush that changes ``Account.disabled`` or ``Account.person_id`` (or the ``person``
  relationship), or adds or deletes an account, invalidates that account (listener below);
- an ORM bulk ``update(Account)`` / ``delete(Account)`` invalidates every account (an epoch);
- raw SQL (``text(...)``) that changes accounts must call :func:`invalidate_accounts` or
  :func:`invalidate_all_accounts` itself.

A rolled-back change invalidates nothing (``backend.platform.db.after_commit``).

Keys (as in ``backend/cards/cache.py``, a stale write can never win):

- ``acctepoch`` — global generation, replaced by a bulk change;
- ``acctgen:<id>`` — the account's generation, replaced after a change commits;
- ``acct:<id>`` — ``<epoch>:<gen>|<state>``, written under the generations read *before* the
  database was read, so an entry assembled from pre-change data never matches again.

A store outage is a miss (the database answers) and nothing is written then. A failed
invalidation is logged; the old state then lives at most the TTL.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session

from backend.platform.db import after_commit
from backend.subjects.models import Account

log = logging.getLogger(__name__)

DEFAULT_TTL = 60  # seconds; ``ACCOUNT_CACHE_TTL`` in the app config overrides
EPOCH_KEY = "acctepoch"
_PENDING = "account_cache_pending"
_ALL = -1  # the pending-set marker of "every account" (a bulk change)


# Built once: constructing a statement costs more than running it on a warm connection.
_STATE_QUERY = select(Account.disabled, Account.person_id).where(Account.id == bindparam("id"))


@dataclass(frozen=True, slots=True)
class AccountState:
    """What ``account_required`` needs: the account exists, is not disabled, its bound person."""

    exists: bool
    disabled: bool = False
    person_id: int | None = None

    @property
    def usable(self) -> bool:
        return self.exists and not self.disabled

    @classmethod
    def of(cls, account) -> AccountState:
        if account is None:
            return cls(exists=False)
        return cls(exists=True, disabled=bool(account.disabled), person_id=account.person_id)

    @classmethod
    def load(cls, session, account_id: int) -> AccountState:
        """From the database: two columns, not a whole ``Account`` (a cache miss is on the hot path)."""
        row = session.connection().execute(_STATE_QUERY, {"id": account_id}).first()
        return cls(exists=False) if row is None else cls(exists=True, disabled=bool(row[0]), person_id=row[1])

    def encode(self) -> bytes:
        if not self.exists:
            return b"x"
        return (b"d" if self.disabled else b"a") + (str(self.person_id).encode() if self.person_id else b"")

    @classmethod
    def decode(cls, raw: bytes) -> AccountState | None:
        flag, rest = raw[:1], raw[1:]
        if flag == b"x" and not rest:
            return cls(exists=False)
        if flag not in (b"a", b"d") or (rest and not rest.isdigit()):
            return None
        return cls(exists=True, disabled=flag == b"d", person_id=int(rest) if rest else None)


def state_key(account_id: int) -> str:
    return f"acct:{account_id}"


def gen_key(account_id: int) -> str:
    return f"acctgen:{account_id}"


def _app_store_and_ttl():
    from flask import current_app, has_app_context

    if not has_app_context():
        return None, None, DEFAULT_TTL
    from backend.platform.nearcache import get_near_cache
    from backend.platform.store import get_store

    ttl = int(current_app.config.get("ACCOUNT_CACHE_TTL", DEFAULT_TTL))
    return get_store(current_app), get_near_cache(current_app), ttl


def read(store, account_id: int, near=None) -> tuple[AccountState | None, bytes | None]:
    """``(cached state or None, tag)``; the tag is what :func:`write` needs, None if the read failed.

    With Redis, ``near`` (``backend.platform.nearcache``) serves the three keys from this process's copies,
    which Redis invalidates on every change: a warm request makes no round trip at all.
    """
    try:
        client = getattr(store, "client", None)
        if client is not None:  # Redis: at most one round trip for the three keys
            p = store.prefix
            keys = [p + EPOCH_KEY, p + gen_key(account_id), p + state_key(account_id)]
            epoch, gen, entry = near.mget(keys) if near is not None else client.mget(keys)
        else:
            epoch, gen, entry = store.get(EPOCH_KEY), store.get(gen_key(account_id)), store.get(state_key(account_id))
    except Exception:
        log.warning("account cache read failed for account %s", account_id, exc_info=True)
        return None, None
    tag = (epoch or b"0") + b":" + (gen or b"0")
    if entry:
        entry_tag, sep, raw = entry.partition(b"|")
        if sep and entry_tag == tag:
            return AccountState.decode(raw), tag
    return None, tag


def write(store, account_id: int, tag: bytes | None, state: AccountState, ttl: int) -> None:
    """Cache ``state`` under the tag read *before* the database was read (see module doc)."""
    if tag is None or ttl <= 0:
        return
    try:
        store.set(state_key(account_id), tag + b"|" + state.encode(), ttl=ttl)
    except Exception:
        log.warning("account cache write failed for account %s", account_id, exc_info=True)


def bump(store, account_ids: Iterable[int], ttl: int = DEFAULT_TTL, near=None) -> None:
    """Invalidate now. The generation outlives every entry written under an older one (2 × TTL)."""
    for aid in set(account_ids):
        key = EPOCH_KEY if aid == _ALL else gen_key(aid)
        try:
            store.set(key, secrets.token_hex(6), ttl=None if aid == _ALL else 2 * max(ttl, DEFAULT_TTL))
        except Exception:
            log.exception("account cache invalidation failed for account %s", aid)
        if near is not None:  # this process at once; Redis tells the other nodes (and us again)
            near.discard([store.prefix + key])


def invalidate_accounts(session: Session, account_ids: Iterable[int | None]) -> None:
    """Drop the cached state of ``account_ids`` once ``session`` commits; nothing on rollback."""
    pending: set[int] | None = session.info.get(_PENDING)
    if pending is None:
        store, near, ttl = _app_store_and_ttl()
        if store is None:  # no app: no cache to invalidate
            return
        pending = session.info[_PENDING] = set()

        def _flush() -> None:
            bump(store, session.info.pop(_PENDING, set()), ttl, near)

        after_commit(session, _flush)
    pending.update(int(a) for a in account_ids if a is not None)


def invalidate_all_accounts(session: Session) -> None:
    """After a bulk change of accounts (ids unknown): every cached state, once ``session`` commits."""
    invalidate_accounts(session, (_ALL,))


# --- invalidation by construction ---------------------------------------------------------------

_WATCHED = ("disabled", "person_id", "person")


@event.listens_for(Session, "after_flush")
def _accounts_flushed(session: Session, _flush_context) -> None:
    from backend.subjects.models import Account

    changed: list[int] = []
    for obj in session.new:
        if isinstance(obj, Account):
            changed.append(obj.id)  # an id reused after a delete (SQLite) must not meet a stale "missing"
    for obj in session.deleted:
        if isinstance(obj, Account):
            changed.append(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Account):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in _WATCHED):
                changed.append(obj.id)
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
    # The hook was dropped with the transaction (backend.platform.db); forget the ids too, so the next
    # transaction registers a fresh hook.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)

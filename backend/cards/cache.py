"""The card cache: one entry per subject, invalidated after commit, safe against stale writes.

Layout (in ``backend.platform.store.get_store()``: Redis when ``REDIS_URL``, in-process otherwise):

- ``cardgen:<subject id>`` — the subject's current *generation*, a random token (absent = ``"0"``).
- ``card:<subject id>`` — ``<generation>|<card JSON>``.

A reader takes the generation *before* assembling the card from the database and stores the entry
under it. :func:`invalidate_card` replaces the generation after the change commits, so an entry
assembled before the change — even one written after the invalidation by a slow request — never
matches again. A rolled-back change never invalidates (``backend.platform.db.after_commit``).

In front of it, each process keeps the *rendered* views it served (:class:`LocalViews`), keyed by
subject, generation and view: a hit costs no SQL or JSON work and, with the near cache holding the
generation, no round trip; any invalidation on any node changes the generation, so a local copy is
never served stale.

The card entry holds no plaintext personal data: the unmasked identity is kept AES-GCM encrypted
(the same keyring as the database columns), the masked identity in clear.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.platform.db import after_commit

log = logging.getLogger(__name__)

CARD_TTL = 3600  # seconds; ``CARD_CACHE_TTL`` in the app config overrides
_PENDING = "card_cache_pending"


def card_key(subject_id: int) -> str:
    return f"card:{subject_id}"


def gen_key(subject_id: int) -> str:
    return f"cardgen:{subject_id}"


def _store():
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    from backend.platform.store import get_store

    return get_store(current_app)


def _near():
    from backend.platform.nearcache import get_near_cache

    return get_near_cache()


def _ttl() -> int:
    from flask import current_app, has_app_context

    return int(current_app.config.get("CARD_CACHE_TTL", CARD_TTL)) if has_app_context() else CARD_TTL


def read(subject_id: int, store=None) -> tuple[bytes | None, bytes]:
    """``(cached card JSON or None, current generation)``. Never raises: a cache outage is a miss."""
    store = store or _store()
    if store is None:
        return None, b"0"
    try:
        client = getattr(store, "client", None)
        if client is not None:  # Redis: one round trip for both keys (and the near copy of the generation)
            keys = [store.prefix + gen_key(subject_id)], [store.prefix + card_key(subject_id)]
            near = _near()
            gen, entry = near.mget(*keys) if near is not None else client.mget([*keys[0], *keys[1]])
        else:
            gen, entry = store.get(gen_key(subject_id)), store.get(card_key(subject_id))
    except Exception:
        log.warning("card cache read failed for subject %s", subject_id, exc_info=True)
        return None, b"-"
    gen = gen or b"0"
    if entry:
        entry_gen, sep, body = entry.partition(b"|")
        if sep and entry_gen == gen:
            return body, gen
    return None, gen


def generation(subject_id: int, store=None, near=None) -> bytes:
    """The subject's current generation (``b"-"`` if the store failed), for the local views.

    With Redis it comes from this process's near cache (``backend.platform.nearcache``), which Redis keeps
    exact: a warm hit makes no round trip.
    """
    store = store or _store()
    if store is None:
        return b"0"
    try:
        client = getattr(store, "client", None)
        if client is not None:
            key, near = store.prefix + gen_key(subject_id), near or _near()
            gen = near.mget([key])[0] if near is not None else client.get(key)
        else:
            gen = store.get(gen_key(subject_id))
    except Exception:
        log.warning("card cache generation read failed for subject %s", subject_id, exc_info=True)
        return b"-"
    return gen or b"0"


def near_generation(subject_id: int, store=None) -> bytes | None:
    """The generation from this process's near copy, or None when it holds none (no round trip:
    then :func:`read` brings the generation and the entry together)."""
    store = store or _store()
    if store is None:
        return b"0"
    if getattr(store, "client", None) is None:
        return generation(subject_id, store)  # the in-process store: no round trip anyway
    near = _near()
    if near is None:  # no near cache (NEAR_CACHE=0): the small key alone, not the whole entry, first
        return generation(subject_id, store)
    try:
        held, gen = near.peek(store.prefix + gen_key(subject_id))
    except Exception:
        log.warning("card cache generation read failed for subject %s", subject_id, exc_info=True)
        return None
    if held:
        return gen or b"0"
    return None if near.live else generation(subject_id, store, near)  # listener down: as without one


def write(subject_id: int, gen: bytes, body: bytes, store=None) -> None:
    """Store ``body`` under the generation read *before* it was assembled (see module doc)."""
    if gen == b"-":  # the read failed: do not write what we cannot validate
        return
    store = store or _store()
    if store is None:
        return
    try:
        store.set(card_key(subject_id), gen + b"|" + body, ttl=_ttl())
    except Exception:
        log.warning("card cache write failed for subject %s", subject_id, exc_info=True)


def bump(subject_ids: Iterable[int], store=None, near=None) -> None:
    """Invalidate now (outside a transaction, e.g. from a CLI or after a bulk load)."""
    store = store or _store()
    if store is None:
        return
    # The generation outlives every entry written under an older one (2 × the entry TTL).
    ttl = 2 * _ttl()
    near = _near() if near is None else near
    for sid in set(subject_ids):
        try:
            store.set(gen_key(sid), secrets.token_hex(6), ttl=ttl)
        except Exception:
            log.exception("card cache invalidation failed for subject %s", sid)
    if near is not None and getattr(store, "prefix", None) is not None:
        # This process at once; Redis tells the other nodes (and this one again).
        near.discard(store.prefix + gen_key(sid) for sid in set(subject_ids))


def invalidate_cards(session: Session, subject_ids: Iterable[int]) -> None:
    """Drop the cached cards of ``subject_ids`` once ``session`` commits; nothing on rollback.

    Cheap to call from any service on every change (records, lists, evaluation, commitments):
    ids are collected per transaction and one hook invalidates them all after commit.
    """
    pending: set[int] | None = session.info.get(_PENDING)
    if pending is None:
        pending = set()
        session.info[_PENDING] = pending
        store, near = _store(), _near()

        def _flush() -> None:
            ids = session.info.pop(_PENDING, set())
            bump(ids, store, near)

        after_commit(session, _flush)
    pending.update(int(s) for s in subject_ids if s is not None)


def invalidate_card(session: Session, subject_id: int) -> None:
    """Drop the cached card of one subject once ``session`` commits (see :func:`invalidate_cards`)."""
    invalidate_cards(session, (subject_id,))


# --- process-local rendered views ------------------------------------------------------------
#
# Keyed by (subject id, generation, view): a new generation (any invalidation, on any node) misses,
# so this holds no state another node needs. Entries live at most LOCAL_TTL: a generation key that
# expired back to "0" (2 × the entry TTL after its last invalidation) can never revive a view.

LOCAL_TTL = 300
LOCAL_MAX = 4096


class LocalViews:
    """A small LRU of rendered card views with a TTL, one per app (``app.extensions``)."""

    def __init__(self, ttl: int, maxsize: int = LOCAL_MAX) -> None:
        self.ttl, self.maxsize = ttl, maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return item[1]

    def put(self, key: tuple, value: bytes) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _local() -> LocalViews | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    views = current_app.extensions.get("card_views")
    if views is None:
        views = current_app.extensions["card_views"] = LocalViews(min(LOCAL_TTL, _ttl()))
    return views


def local_get(key: tuple) -> bytes | None:
    views = _local()
    if views is None or key[1] == b"-":  # generation unknown (cache outage): never trust a copy
        return None
    return views.get(key)


def local_put(key: tuple, value: bytes) -> None:
    views = _local()
    if views is not None and key[1] != b"-":
        views.put(key, value)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    # The hook was dropped with the transaction (backend.platform.db); forget its ids too, so the next
    # transaction registers a fresh hook.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)

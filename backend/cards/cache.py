"""The card cache: the cached form of each subject's card in the key-value store, keyed by a
version the database keeps.

``card:<subject id>`` holds ``<version>|<card JSON>`` (in ``backend.platform.store``: Redis when
``REDIS_URL``, in-process otherwise). The version is ``subjects.card_version``, bumped by
:func:`backend.subjects.changes.subject_changed` in the same transaction as every change that
affects the card. A reader takes the version (one indexed query) *before* it reads or assembles
the card and uses an entry only when it was stored under that same version, so:

- a committed change shows on the next read (the version moved on);
- an entry assembled before a change — even one written after it by a slow request — never
  matches again (it carries the older version);
- a store that loses its data (Redis restarted without persistence, a failover, FLUSHDB) can only
  miss: nothing the cache's correctness rests on lives in the store;
- a rolled-back change leaves the version as it was (the bump rolls back with it), and a
  transaction that changed a subject neither reads nor writes that subject's entry
  (``backend.cards.services.load_card``), so no uncommitted card is ever stored.

Time is the other input of a card (records leave publicity, the evaluation decays): an entry of an
earlier day is reassembled (``services._fresh``), and the TTL bounds every entry.

Next to the form, ``card:<subject id>:<view>`` keeps the response bytes of the masked views (the
owner's card, the public firm card) under ``<version>:<day>:<format>``: a warm card is then one
store read and no JSON decoding or rendering. They follow the same rules (read the version first,
never for a subject changed in the transaction, dropped with the form).

The entry holds no plaintext personal data: the unmasked identity is kept AES-GCM encrypted
(the same keyring as the database columns), the masked identity in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from backend.subjects.models import Subject

if TYPE_CHECKING:  # the store is handed in; importing its module would load Flask
    from backend.platform.store import KeyValue

log = logging.getLogger(__name__)

CARD_TTL = 3600  # seconds; ``CARD_CACHE_TTL`` in the app config overrides
_VERSION = select(Subject.card_version).where(Subject.id == bindparam("subject_id"))


def card_key(subject_id: int) -> str:
    return f"card:{subject_id}"


# Rendered views kept next to the cached form: the response bytes of an audience's card (masked
# views only: a view with the unmasked identity is never stored), under a tag that carries the card
# version, the day and the card format, so they follow every rule of the form.
VIEWS = ("owner", "public")


def view_key(subject_id: int, view: str) -> str:
    return f"card:{subject_id}:{view}"


def card_version(session: Session, subject_id: int) -> int | None:
    """The subject's card version (None: no such subject). One primary-key lookup."""
    return session.connection().execute(_VERSION, {"subject_id": subject_id}).scalar()


class CardCache:
    """Cached card forms in ``store``, each valid under one card version. Never raises: a store
    outage is a miss (and nothing is written)."""

    def __init__(self, store: KeyValue, ttl: int = CARD_TTL) -> None:
        self.store, self.ttl = store, ttl

    def read(self, subject_id: int, version: int | str, view: str | None = None) -> bytes | None:
        """The card JSON stored under ``version`` (for a ``view``: its response bytes under that
        tag), or None."""
        key = card_key(subject_id) if view is None else view_key(subject_id, view)
        try:
            entry = self.store.get(key)
        except Exception:
            log.warning("card cache read failed for subject %s", subject_id, exc_info=True)
            return None
        if entry:
            entry_version, sep, body = entry.partition(b"|")
            if sep and entry_version == str(version).encode():
                return body
        return None

    def write(self, subject_id: int, version: int | str, body: bytes, view: str | None = None) -> None:
        """Store ``body`` under the version read *before* it was assembled (see the module doc)."""
        key = card_key(subject_id) if view is None else view_key(subject_id, view)
        try:
            self.store.set(key, str(version).encode() + b"|" + body, ttl=self.ttl)
        except Exception:
            log.warning("card cache write failed for subject %s", subject_id, exc_info=True)

    def drop(self, subject_ids: Iterable[int]) -> None:
        """Remove entries (after a commit). Only frees memory: the versions already moved on."""
        keys = [k for i in set(subject_ids) for k in (card_key(int(i)), *(view_key(int(i), v) for v in VIEWS))]
        if keys:
            self.store.delete(*keys)

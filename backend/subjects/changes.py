"""One place that says "this subject's credit data changed", and the one listener that acts on it.

Records, list entries, commitments, legal-representative links (objections through the records and
lists services they call) call :func:`subject_changed` inside their transaction. It does two things there:

- bumps ``subjects.card_version`` of the subjects (in the change's own transaction, so the version
  commits or rolls back with the change): the card cache keys on it (``backend/cards/cache.py``),
  and a key-value store that loses its data can then only miss, never serve an older card;
- records the ids and the cause on the session (``session.info``).

The app registers ONE after-commit listener on its session factory (:func:`listen_for_changes`,
called by ``create_app`` with the app's card cache, session-cache invalidation and job queue;
warehouse's cache-origin listeners are the model). After a commit — never for a rolled-back change —
it drops the cached cards of the changed subjects and enqueues their rescoring, one job per cause,
and drops the cached login sessions of changed accounts (recorded by
:func:`backend.sessions.cache.invalidate_accounts`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from backend.sessions.cache import take_changed_accounts
from backend.subjects.models import Subject

log = logging.getLogger(__name__)

_PENDING = "changed_subjects"  # session.info key: {cause: {subject id, …}}
_CHUNK = 1000  # ids per version UPDATE (SQLite's bound-parameter limit, short statements)


def subject_changed(session: Session, subject_ids: Iterable[int | None], cause: str) -> None:
    """Bump the subjects' card version now; drop their cached cards and rescore them after commit."""
    ids = sorted({int(i) for i in subject_ids if i is not None})
    if not ids:
        return
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Subject).where(Subject.id.in_(ids[start:start + _CHUNK]))
            .values(card_version=Subject.card_version + 1),
            execution_options={"synchronize_session": False},
        )
    session.info.setdefault(_PENDING, {}).setdefault(cause, set()).update(ids)


def pending_changes(session: Session) -> set[int]:
    """Subjects changed in ``session``'s open transaction (their cached cards must not be used yet)."""
    return set().union(*session.info.get(_PENDING, {}).values())


def listen_for_changes(
    session_factory: Any,
    *,
    drop_cards: Callable[[Iterable[int]], None],
    enqueue: Callable[..., None],
    drop_sessions: Callable[[set[int]], None] | None = None,
) -> None:
    """Register the after-commit listener on ``session_factory`` (a ``sessionmaker``).

    ``drop_cards(ids)`` removes cached cards; ``enqueue(job, *args)`` runs or queues a job now
    (the listener already runs after the commit); ``drop_sessions(account_ids)`` invalidates cached
    login sessions.
    """
    from backend.evaluation.tasks import recompute_subjects

    def _after_commit(session: Session) -> None:
        if session.get_nested_transaction() is not None:
            # A SAVEPOINT was released, nothing is committed yet (see backend.platform.db): a job
            # started now would not see the change, and on SQLite it would wait for this very
            # transaction's write lock.
            return
        accounts = take_changed_accounts(session)
        if accounts and drop_sessions is not None:
            try:
                drop_sessions(accounts)
            except Exception:  # logged; an old entry lives at most ACCOUNT_CACHE_TTL
                log.exception("dropping cached sessions of %d accounts failed", len(accounts))
        changed: dict[str, set[int]] = session.info.pop(_PENDING, {})
        if not changed:
            return
        try:
            drop_cards(set().union(*changed.values()))
        except Exception:  # the versions already moved on: a failed drop only costs memory
            log.exception("dropping cached cards failed")
        for cause, ids in changed.items():
            try:
                enqueue(recompute_subjects, sorted(ids), cause)
            except Exception:  # a side effect must never undo a committed change
                log.exception("enqueueing the rescoring of %d subjects failed", len(ids))

    event.listen(session_factory, "after_commit", _after_commit)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    # A rolled-back transaction changed nothing: no drop, no rescoring, and the next transaction
    # starts with a clean slate.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)

"""Two refreshes racing with one refresh token: exactly one gets new tokens (PostgreSQL)."""

from __future__ import annotations

import threading

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.db import make_engine
from backend.platform.errors import Unauthorized
from backend.sessions.models import AuthSession
from backend.subjects import accounts
from backend.subjects.models import Account, RefreshToken
from tests.backends import needs_postgres

SETTINGS = accounts.TokenSettings("test-secret-key-0123456789abcdef0123", 3600, 3600)


@needs_postgres("two refreshes racing on the session's row lock")
def test_racing_refreshes_only_one_wins(app, database_url):
    own = make_engine(database_url)
    anon = Actor("anonymous")
    with own.connect() as conn:
        start_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    with Session(own) as session:
        first = accounts.login(session, anon, accounts.WeChatIdentity("openid-race"), SETTINGS)
        account_id = first.account.id
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go() -> None:
        with Session(own) as session:
            barrier.wait()
            try:
                accounts.refresh(session, anon, first.refresh_token, SETTINGS)
                session.commit()
                outcomes.append("ok")
            except Unauthorized as exc:
                session.commit()  # what the request's commit point does with commit_on_refusal
                outcomes.append(exc.reason)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                outcomes.append(repr(exc))

    threads = [threading.Thread(target=go) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes) == ["ok", "refresh_reused"]
        with Session(own) as session:
            live = session.execute(select(RefreshToken).where(
                RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))).scalars().all()
            assert live == []  # the reuse revoked the winner's new token too: log in again
    finally:
        with own.begin() as conn:
            conn.execute(delete(RefreshToken).where(RefreshToken.account_id == account_id))
            conn.execute(delete(AuthSession).where(AuthSession.account_id == account_id))
            conn.execute(delete(Account).where(Account.openid == "openid-race"))
            conn.execute(delete(AuditEntry).where(AuditEntry.id > start_id))
        own.dispose()

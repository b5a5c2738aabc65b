"""Two first-ever evaluations of one person at the same moment (PostgreSQL, real commits, separate
connections): both are answered, the person has one evaluation row, nobody gets 409.

The race is made to happen, not hoped for: a third transaction stores the person's first evaluation
and holds it uncommitted while the racers run. Each racer reads "no evaluation yet" (the row is not
committed), scores, and writes its first evaluation, which has to wait for the holder's row; the
holder commits once both are seen waiting. With a plain INSERT both failed on ``pk_evaluations``
after the wait (409 ``conflict`` from the request pipeline).
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.common.actor import SYSTEM
from backend.common.ids import make_resident_id
from backend.common.models import AuditEntry
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.services import evaluate_subject, get_evaluation
from backend.platform.db import make_engine
from backend.sessions.models import AuthSession
from backend.sessions.services import start_session
from backend.subjects.models import Account, Person, Subject
from backend.subjects.services import register_person
from tests.backends import needs_postgres
from tests.conftest import make_config
from tests.factories.sequence import next_n

pytestmark = needs_postgres("two transactions writing one row at once (SQLite serialises writers and the harness "
                            "shares one connection)")


@pytest.fixture
def person(app, database_url):
    """A committed person with two bound accounts, each with a live login session; removed afterwards."""
    own = make_engine(database_url)
    with own.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    n = next_n()
    with Session(own) as s:
        p = register_person(s, SYSTEM, id_number=make_resident_id("320803", date(1979, 6, 1), n % 1000), name="林竞")
        accounts = [Account(openid=f"eval-race-{n}-{i}", person_id=p.id, identity_level="self_declared")
                    for i in range(2)]
        s.add_all(accounts)
        s.flush()
        sessions = [start_session(s, ip="127.0.0.1", user_agent=None, ttl_seconds=3600, account_id=a.id).id
                    for a in accounts]
        s.commit()
        ids = {"person": p.id, "accounts": [a.id for a in accounts], "sessions": sessions}
    yield own, ids
    with own.begin() as conn:
        conn.execute(delete(AuthSession).where(AuthSession.account_id.in_(ids["accounts"])))
        conn.execute(delete(Account).where(Account.id.in_(ids["accounts"])))
        conn.execute(delete(EvaluationHistory).where(EvaluationHistory.subject_id == ids["person"]))
        conn.execute(delete(Evaluation).where(Evaluation.subject_id == ids["person"]))
        conn.execute(delete(Person).where(Person.id == ids["person"]))
        conn.execute(delete(Subject).where(Subject.id == ids["person"]))
        # Our audit rows are the tail of the chain (other tests roll back): removing them keeps it intact.
        conn.execute(delete(AuditEntry).where(AuditEntry.id > start))
    own.dispose()


def _wait_for_waiters(engine, count: int, outcomes: list, seconds: float = 20) -> None:
    """Until ``count`` other backends of this database wait on a lock (the holder's row)."""
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()  # the statistics views are a snapshot per transaction: take a new one
            if waiting >= count:
                return
            time.sleep(0.02)
            if outcomes:  # a racer finished without waiting
                break
        seen = conn.execute(text("SELECT state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
                                 "WHERE datname = current_database()")).all()
    pytest.fail(f"the racers did not wait on the first evaluation ({count} expected): {outcomes} {seen}")


def _run(targets) -> list[threading.Thread]:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    return threads


def test_two_first_evaluations_at_once_both_succeed(person):
    own, ids = person
    outcomes: list[object] = []

    def racer() -> None:
        with Session(own) as s:
            try:
                outcomes.append(get_evaluation(s, ids["person"]).score)
                s.commit()
            except Exception as exc:  # noqa: BLE001 — the outcome is what the test asserts
                s.rollback()
                outcomes.append(exc)

    with Session(own) as holder:
        first = evaluate_subject(holder, ids["person"], cause="test")  # flushed, not committed
        threads = _run([racer, racer])
        _wait_for_waiters(own, 2, outcomes)
        holder.commit()
    for t in threads:
        t.join(30)
    assert outcomes == [first.score, first.score]
    with Session(own) as s:
        assert s.execute(select(func.count()).select_from(Evaluation)
                         .where(Evaluation.subject_id == ids["person"])).scalar() == 1
        assert s.get(Evaluation, ids["person"]).explanation is not None
        assert s.execute(select(EvaluationHistory).where(EvaluationHistory.subject_id == ids["person"])).first() is None


def test_two_devices_opening_the_perks_page_at_once_both_get_it(person, database_url, redis_url):
    """Through the app (two instances, each its own engine and pool): the resident's two devices open
    信易+ (which reads the stored evaluation, scoring it the first time) while the first evaluation is
    being written: both answers are 200 with the same score."""
    own, ids = person
    apps = [create_app(make_config(database_url, redis_url)) for _ in range(2)]
    answers: list[tuple[int, object]] = []

    def device(i: int):
        def go() -> None:
            app = apps[i]
            token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": ids["accounts"][i], "sid": ids["sessions"][i]})
            resp = app.test_client().get("/miniapp/v1/perks", headers={"Authorization": f"Bearer {token}"})
            answers.append((resp.status_code, (resp.json or {}).get("reason")))
        return go

    try:
        with Session(own) as holder:
            evaluate_subject(holder, ids["person"], cause="test")
            threads = _run([device(0), device(1)])
            _wait_for_waiters(own, 2, answers)
            holder.commit()
        for t in threads:
            t.join(30)
    finally:
        for app in apps:
            app.extensions["database"].engine.dispose()
    assert answers == [(200, None), (200, None)]
    with Session(own) as s:
        assert s.execute(select(func.count()).select_from(Evaluation)
                         .where(Evaluation.subject_id == ids["person"])).scalar() == 1

"""Races on PostgreSQL: two scans of one voucher redeem it once; 300 simultaneous claims of a perk
with 100 vouchers, through two app instances (each its own engine and pool, 2 × 20 threads, one
Redis), issue exactly 100."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.common.actor import SYSTEM, Actor
from backend.common.models import AuditEntry
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.services import evaluate_subject
from backend.intercept.models import InterceptCheck, InterceptHit
from backend.perks import vouchers
from backend.perks.models import Perk, Voucher
from backend.perks.services import create_perk
from backend.platform.db import make_engine
from backend.platform.errors import DomainError
from backend.sessions.models import AuthSession
from backend.sessions.services import start_session
from backend.staff.models import Department, OrgType, Role
from backend.subjects.models import Account, Person, Subject
from backend.subjects.services import register_person
from tests.backends import needs_postgres, needs_postgres_and_redis
from tests.conftest import make_config
from tests.factories.sequence import next_n

SECRET = "test-secret-key-0123456789abcdef0123"


@pytest.fixture
def committed(app, database_url, redis_url):
    """Committed rows (the races need other connections to see them), removed afterwards. Made
    inside an app of their own (its own engine), so the after-commit rescoring job commits too."""
    own = make_engine(database_url)
    setup = create_app(make_config(database_url, redis_url))
    ctx = setup.app_context()
    ctx.push()
    with own.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    n = next_n()
    with Session(own) as s:
        merchant = Department(code=f"RACE{n}", name=f"竞态测试商户{n}", short_name=f"竞态{n}", org_type=OrgType.MERCHANT,
                              record_kinds=[])
        s.add(merchant)
        s.flush()
        person = _person(s, n)
        perk = create_perk(s, SYSTEM, code=f"RACE-{n}", name="竞态测试券", category="travel",
                           provider_code=merchant.code, subject_kinds=["person"], rule={"min_grade": "good"},
                           domain=None, benefit="测试", valid_from=date(2026, 1, 1), quota=100)
        accounts = [Account(openid=f"race-{n}-{i}", person_id=person.id, identity_level="self_declared")
                    for i in range(300)]
        s.add_all(accounts)
        s.commit()
        ids = {"merchant": merchant.id, "person": person.id, "perk": perk.id, "accounts": [a.id for a in accounts]}
    yield own, ids
    ctx.pop()
    setup.extensions["database"].engine.dispose()
    with own.begin() as conn:
        checks = select(InterceptCheck.id).where(InterceptCheck.perk_id == ids["perk"])
        conn.execute(delete(InterceptHit).where(InterceptHit.check_id.in_(checks)))
        conn.execute(delete(InterceptCheck).where(InterceptCheck.perk_id == ids["perk"]))
        conn.execute(delete(Voucher).where(Voucher.perk_id == ids["perk"]))
        conn.execute(delete(Perk).where(Perk.id == ids["perk"]))
        conn.execute(text("DELETE FROM idempotency_keys"))
        conn.execute(delete(AuthSession).where(AuthSession.account_id.in_(ids["accounts"])))
        conn.execute(delete(Account).where(Account.id.in_(ids["accounts"])))
        conn.execute(delete(EvaluationHistory).where(EvaluationHistory.subject_id == ids["person"]))
        conn.execute(delete(Evaluation).where(Evaluation.subject_id == ids["person"]))
        conn.execute(delete(Person).where(Person.id == ids["person"]))
        conn.execute(delete(Subject).where(Subject.id == ids["person"]))
        conn.execute(delete(Department).where(Department.id == ids["merchant"]))
        conn.execute(delete(AuditEntry).where(AuditEntry.id > start))
    own.dispose()


def _person(session: Session, n: int) -> Person:
    from backend.common.ids import make_resident_id

    return register_person(session, SYSTEM, id_number=make_resident_id("320803", date(1985, 3, 1), n % 1000), name="陈竞")


@needs_postgres("two scans racing on the voucher's row lock")
def test_two_racing_scans_redeem_once(committed):
    own, ids = committed
    with Session(own) as s:
        voucher = vouchers.claim_voucher(s, Actor("account", ids["accounts"][0], person_id=ids["person"]),
                                         perk_code=s.get(Perk, ids["perk"]).code)
        s.commit()
        code = vouchers.voucher_code(SECRET, voucher)
    cashier = Actor("staff", None, role=Role.MERCHANT.value, department_id=ids["merchant"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def scan() -> None:
        with Session(own) as s:
            barrier.wait()
            try:
                vouchers.redeem_voucher(s, cashier, code, secret=SECRET)
                s.commit()
                outcomes.append("ok")
            except DomainError as exc:
                s.rollback()
                outcomes.append(exc.reason)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok", "voucher_already_redeemed"]


@needs_postgres_and_redis("the quota race across two app instances needs row locks and the shared Redis")
def test_three_hundred_claims_across_two_apps_issue_exactly_the_quota(committed, database_url, redis_url):
    own, ids = committed
    apps = [create_app(make_config(database_url, redis_url)) for _ in range(2)]
    with Session(own) as s:
        code = s.get(Perk, ids["perk"]).code
        # A token is good only with a live login session (backend.sessions): one per account.
        sids = [start_session(s, ip="127.0.0.1", user_agent=None, ttl_seconds=3600, account_id=a).id
                for a in ids["accounts"][:300]]
        # The stored evaluation exists, as after the nightly rescoring: the race is about the quota.
        # (Two first-ever evaluations of one person at once answer 409 conflict; see the closing note.)
        evaluate_subject(s, ids["person"], cause="test")
        s.commit()
    barrier = threading.Barrier(40)
    local = threading.local()

    def claim(i: int) -> int:
        app = apps[i % 2]
        if not hasattr(local, "started"):
            local.started = True
            barrier.wait()  # 40 threads start together, then each keeps claiming
        token = sign(app.config["SECRET_KEY"], ACCOUNT_TOKEN, {"a": ids["accounts"][i], "sid": sids[i]})
        resp = app.test_client().post("/miniapp/v1/vouchers", json={"perk_code": code},
                                      headers={"Authorization": f"Bearer {token}"})
        return resp.status_code if resp.status_code != 409 else (409 if resp.json["reason"] == "quota_exhausted" else 0)

    try:
        with ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(claim, range(300)))
    finally:
        for app in apps:
            app.extensions["database"].engine.dispose()
    assert statuses.count(201) == 100 and statuses.count(409) == 200, sorted(set(statuses))
    with Session(own) as s:
        assert s.execute(select(func.count()).select_from(Voucher).where(Voucher.perk_id == ids["perk"])).scalar() == 100
        assert s.get(Perk, ids["perk"]).issued == 100

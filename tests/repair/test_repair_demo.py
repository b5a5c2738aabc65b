"""The demo district shows both repair answers for the dev-demo user's firm (``make run``)."""

from __future__ import annotations

from sqlalchemy import select

from backend.demo.seed import DEMO_OPENID, seed_demo
from backend.records.models import CreditRecord
from backend.repair.services import eligibility
from backend.subjects.accounts import account_actor
from backend.subjects.models import Account, Firm


def test_demo_firm_has_one_penalty_repairable_now_and_one_not_yet(app, db):
    seed_demo(db, env="development")
    account = db.execute(select(Account).where(Account.openid == DEMO_OPENID)).scalar_one()
    actor = account_actor(account, None)
    firm_ids = set(db.execute(select(Firm.id).where(Firm.legal_rep_id == account.person_id)).scalars())
    rows = db.execute(select(CreditRecord).where(CreditRecord.subject_id.in_(firm_ids),
                                                 CreditRecord.decision_no.like("%901号")
                                                 | CreditRecord.decision_no.like("%902号"))).scalars().all()
    answers = {r.decision_no[-4:]: eligibility(db, actor, r.id) for r in rows}
    assert answers["901号"]["route"] == "eligible"
    assert answers["901号"]["if_repaired"]["score"] > answers["901号"]["current"]["score"]
    assert answers["902号"]["route"] == "not_yet" and answers["902号"]["earliest_date"] is not None

"""Who may file and follow a subject's application (异议, 信用修复): one rule for every context."""

from __future__ import annotations

from datetime import date

from backend.common.actor import Actor
from backend.common.clock import chinese_date
from backend.subjects.agency import may_act_for_subject
from tests.factories.subjects import approve_agent, bound_account, make_firm, make_person


def test_oneself_an_agented_firm_but_not_someone_else_or_their_firm(db):
    account, me = bound_account(db, name="王本人")
    actor = Actor("account", account.id, person_id=me.id)
    other = make_person(db, name="李他人")
    mine, theirs = make_firm(db), make_firm(db)
    approve_agent(db, mine, account, me)
    assert may_act_for_subject(db, actor, me.id)
    assert may_act_for_subject(db, actor, mine.id)
    assert not may_act_for_subject(db, actor, other.id)
    assert not may_act_for_subject(db, actor, theirs.id)
    unbound = Actor("account", account.id, person_id=None)
    assert not may_act_for_subject(db, unbound, me.id)


def test_dates_are_written_the_chinese_way_without_leading_zeros():
    assert chinese_date(date(2027, 1, 5)) == "2027年1月5日"
    assert chinese_date(date(2026, 12, 31)) == "2026年12月31日"

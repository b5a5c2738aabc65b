"""Every deadline of an objection filed on 2026-12-28, across 2027-01-01, from the calendar table.

The expected dates are walked day by day with the calendar's own ``is_working_day`` (whatever the
table says about 2027 — entered by staff, derived, or absent so that weekends alone count), never
written down as constants.
"""

from __future__ import annotations

from datetime import date, timedelta

from backend.calendar.workdays import is_working_day
from backend.common.actor import Actor
from backend.objections.services import complete_objection, file_objection
from backend.queues import services as queue
from backend.queues.reports import deadline_flags
from tests.factories.cards import bound_account, firm, person
from tests.queues.helpers import actor_of, credit_admin, penalty, records_department, reviewer

FILED = date(2026, 12, 28)


def walk(db, start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_working_day(db, day)
    return day


def _setup(db):
    dept = records_department(db)
    rev, admin = reviewer(db, dept), credit_admin(db)
    rep = person(db, name="周八")
    account, _ = bound_account(db, rep)
    f = firm(db, legal_rep=rep)
    record = penalty(db, rev, f.uscc)
    applicant = Actor("account", account.id, person_id=rep.id)
    return rev, admin, record, applicant


def test_every_deadline_of_an_objection_filed_on_2026_12_28(db):
    rev, admin, record, applicant = _setup(db)
    objection = file_objection(db, applicant, record_id=record.id, ground="wrong", statement="金额有误",
                               promise_acknowledged=True, today=FILED)
    item = queue.item_for(db, "objection", objection.id)
    accept_by = walk(db, FILED, 2)
    assert (item.step_started_on, item.deadline, item.deadline_rule) == (FILED, accept_by, "objection.accept.2020")
    assert accept_by == date(2026, 12, 30)  # Tue 29, Wed 30: both working days in the 2026 table

    # Refused for 材料不全 on the last day: the applicant's 10 working days run into 2027
    queue.decide(db, actor_of(admin), item.id, outcome="refuse", reason="请补充复议决定书",
                 data={"refuse_reason": "incomplete"}, today=accept_by)
    complete_by = walk(db, accept_by, 10)
    assert (item.state, item.deadline, item.deadline_rule) == ("awaiting_applicant", complete_by,
                                                               "objection.complete.2020")
    assert complete_by.year == 2027
    flags = deadline_flags(db, [item], today=complete_by + timedelta(days=1))
    assert flags[item.id]["overdue"] is True

    # Completed on 2027-01-04: the credit office's 2 working days start again
    completed_on = date(2027, 1, 4)
    complete_objection(db, applicant, objection.id, evidence_upload_ids=[], statement="补充说明", today=completed_on)
    assert (item.state, item.step_started_on, item.deadline) == ("pending", completed_on, walk(db, completed_on, 2))

    # Accepted on its deadline → the providing department's 10 working days
    accepted_on = item.deadline
    queue.decide(db, actor_of(admin), item.id, outcome="accept", reason="受理", today=accepted_on)
    verify_by = walk(db, accepted_on, 10)
    assert (item.state, item.department_id, item.deadline, item.deadline_rule) == (
        "verifying", record.department_id, verify_by, "objection.verify.2020")
    assert deadline_flags(db, [item], today=verify_by)[item.id] == {"overdue": False, "due_soon": True}

    # Decided one working day late: closed, and counted late
    late_day = walk(db, verify_by, 1)
    queue.decide(db, actor_of(rev), item.id, outcome="maintain", reason="维持", today=late_day)
    assert (item.is_open, item.closed_late) == (False, True)
    events = queue.timeline(db, item.id)
    assert [e.details.get("deadline") for e in events if e.action == "decide"] == [
        accept_by.isoformat(), walk(db, completed_on, 2).isoformat(), verify_by.isoformat()]


def test_filing_across_new_year_at_the_end_of_a_week(db):
    """Filed on Thursday 2026-12-31: acceptance is due on the second working day of 2027 by the table."""
    _, _, record, applicant = _setup(db)
    objection = file_objection(db, applicant, record_id=record.id, ground="wrong", statement="有误",
                               promise_acknowledged=True, today=date(2026, 12, 31))
    item = queue.item_for(db, "objection", objection.id)
    assert item.deadline == walk(db, date(2026, 12, 31), 2) and item.deadline.year == 2027

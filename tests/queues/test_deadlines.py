"""The repair deadline is the rule sets' own handling time: one place to change it."""

from dataclasses import replace
from datetime import date

from backend.queues.deadlines import _repair_rows, rule_for
from backend.records.rules import RULE_SETS, HandlingTimes, repair_rule_on


def test_the_repair_deadline_in_force_is_the_handling_time_of_the_rule_set_in_force():
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 12, 2)):
        handling = repair_rule_on(day).repair.handling
        rule = rule_for("repair", "deciding", day)
        if handling is None:  # Order 58: no handling time, no deadline
            assert rule is None
        else:
            assert rule.working_days == handling.department_working_days == 3
            assert "国办发〔2025〕22号" in rule.basis


def test_a_new_rule_set_with_its_own_handling_time_brings_its_own_deadline_row():
    current = next(r for r in RULE_SETS if r.version == "ndrc-repair-2026")
    closed = replace(current, effective_to=date(2027, 7, 1))
    newer = replace(current, version="ndrc-repair-2027", effective_from=date(2027, 7, 1), effective_to=None,
                    repair=replace(current.repair, handling=HandlingTimes(10, 5, "某新文件：5个工作日")))
    sets = tuple(r for r in RULE_SETS if r is not current) + (closed, newer)
    rows = {r.code: r for r in _repair_rows(sets)}
    assert (rows["repair.decide.2026"].working_days, rows["repair.decide.2026"].valid_to) == (3, date(2027, 6, 30))
    assert (rows["repair.decide.2027"].working_days, rows["repair.decide.2027"].valid_from) == (5, date(2027, 7, 1))
    assert "5个工作日" in rows["repair.decide.2027"].basis
    assert all(r.kind == "repair" for r in rows.values()) and len(rows) == 2  # market-regulation set: none

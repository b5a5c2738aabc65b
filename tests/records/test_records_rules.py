"""Publicity and repair rules: the dated rule set in force on the decision date decides the window."""

from datetime import date

import pytest

from backend.records.models import Polarity, RecordKind, Severity
from backend.records.rules import (
    RULE_SETS,
    add_months,
    polarity_of,
    publicity_window,
    repair_rule_on,
    rule_set_on,
)

PENALTY = RecordKind.ADMIN_PENALTY


@pytest.mark.parametrize(
    ("severity", "min_end", "max_end"),
    [
        (Severity.MINOR, date(2026, 5, 10), date(2026, 8, 10)),  # repairable at once, at most 3 months
        (Severity.GENERAL, date(2026, 8, 10), date(2027, 5, 10)),  # 3 months – 1 year
        (Severity.SERIOUS, date(2027, 5, 10), date(2029, 5, 10)),  # 1 – 3 years
    ],
)
def test_2026_measures_grade_by_severity(severity, min_end, max_end):
    w = publicity_window(PENALTY, severity, date(2026, 5, 10))
    assert (w.start, w.min_end, w.max_end) == (date(2026, 5, 10), min_end, max_end)
    assert w.rule_version == "ndrc-repair-2026"
    assert "信用修复管理办法" in w.basis


def test_minor_information_is_normally_not_published_from_2026():
    assert publicity_window(PENALTY, Severity.MINOR, date(2026, 4, 1)).normally_published is False
    assert publicity_window(PENALTY, Severity.MINOR, date(2026, 3, 31)).normally_published is True


def test_order58_applies_to_decisions_before_april_2026():
    w = publicity_window(PENALTY, Severity.MINOR, date(2026, 3, 31))
    assert w.rule_version == "ndrc-order58-2023"
    assert (w.min_end, w.max_end) == (date(2026, 6, 30), date(2029, 3, 31))
    assert "第58号" in w.basis


@pytest.mark.parametrize("domain", ["食品", "药品", "特种设备", "安全生产", "消防", "食品安全"])
def test_order58_longer_minimum_in_five_domains(domain):
    w = publicity_window(PENALTY, Severity.GENERAL, date(2025, 6, 1), domain)
    assert w.min_end == date(2026, 6, 1)
    assert w.max_end == date(2028, 6, 1)


def test_domain_override_is_gone_under_2026_measures():
    w = publicity_window(PENALTY, Severity.GENERAL, date(2026, 6, 1), "食品")
    assert w.min_end == date(2026, 9, 1)


def test_decisions_before_order58_take_its_periods():
    assert rule_set_on(date(2015, 1, 1)).version == "ndrc-order58-2023"


def test_rule_sets_cover_every_day_without_overlap():
    # Per family since issue 9 item 3 added the market-regulation rules (总局令第107号) beside the general ones.
    for family in {r.family for r in RULE_SETS}:
        ordered = sorted((r for r in RULE_SETS if r.family == family), key=lambda r: r.effective_from)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            assert earlier.effective_to == later.effective_from
        assert ordered[-1].effective_to is None
    for rs in RULE_SETS:
        assert rs.basis and rs.title


def test_repair_rule_on_switches_on_1_april_2026():
    assert repair_rule_on(date(2026, 3, 31)).version == "ndrc-order58-2023"
    new = repair_rule_on(date(2026, 4, 1))
    assert new.version == "ndrc-repair-2026"
    assert "信用修复承诺书" in new.repair.materials
    # 国办发〔2025〕22号's handling times are data with their basis (issue 9 item 4 replaced the single
    # "decision_working_days" practice figure with both of 22号's numbers).
    assert (new.repair.handling.platform_working_days, new.repair.handling.department_working_days) == (10, 3)
    assert "国办发〔2025〕22号" in new.repair.handling.basis


def test_month_arithmetic_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_positive_and_neutral_kinds_have_no_end():
    for kind in (RecordKind.ADMIN_LICENSE, RecordKind.ADMIN_REWARD, RecordKind.HONOUR, RecordKind.ADMIN_CONFIRMATION):
        w = publicity_window(kind, None, date(2026, 5, 1))
        assert (w.start, w.min_end, w.max_end) == (date(2026, 5, 1), None, None)


def test_judicial_kinds_follow_court_rules():
    w = publicity_window(RecordKind.JUDGMENT_DEFAULTER, Severity.SERIOUS, date(2026, 5, 1))
    assert (w.min_end, w.max_end) == (None, None)
    assert w.rule_version == "court-rules"
    assert "法院" in w.basis


@pytest.mark.parametrize(
    ("kind", "result", "expected"),
    [
        (RecordKind.ADMIN_PENALTY, None, Polarity.NEGATIVE),
        (RecordKind.ADMIN_COERCION, None, Polarity.NEGATIVE),
        (RecordKind.COMMITMENT_BREACH, None, Polarity.NEGATIVE),
        (RecordKind.JUDGMENT_DEFAULTER, None, Polarity.NEGATIVE),
        (RecordKind.FALSE_LITIGANT, None, Polarity.NEGATIVE),
        (RecordKind.ADMIN_REWARD, None, Polarity.POSITIVE),
        (RecordKind.HONOUR, None, Polarity.POSITIVE),
        (RecordKind.ADMIN_LICENSE, None, Polarity.NEUTRAL),
        (RecordKind.ADMIN_INSPECTION, None, Polarity.NEUTRAL),
        (RecordKind.ADMIN_INSPECTION, "合格", Polarity.NEUTRAL),
        (RecordKind.ADMIN_INSPECTION, "未发现问题", Polarity.NEUTRAL),
        (RecordKind.ADMIN_INSPECTION, "不合格", Polarity.NEGATIVE),
        (RecordKind.ADMIN_INSPECTION, "发现问题，责令整改", Polarity.NEGATIVE),
    ],
)
def test_polarity(kind, result, expected):
    assert polarity_of(kind, None, result) == expected


def test_inspection_with_problems_gets_a_negative_window():
    w = publicity_window(RecordKind.ADMIN_INSPECTION, Severity.GENERAL, date(2026, 5, 1),
                         polarity=polarity_of(RecordKind.ADMIN_INSPECTION, Severity.GENERAL, "不合格"))
    assert w.max_end == date(2027, 5, 1)

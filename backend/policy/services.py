"""The rules in force as one document, built from the very data the code applies.

Nothing here is written by hand: publicity periods and repair terms come from
:data:`backend.records.rules.RULE_SETS`, grade bands from the evaluation rules files
(:func:`backend.evaluation.rules.all_rulesets`), the exception maximum and the favourable-rule
principle from :mod:`backend.records.rules`, the working-day basis from the calendar. A change of
rules changes this page in the same commit.
"""

from __future__ import annotations

from datetime import date

from backend.calendar.statutory import BASIS as STATUTORY_BASIS
from backend.evaluation.rules import RuleSet as GradeRules
from backend.evaluation.rules import all_rulesets, rules_for
from backend.records.models import SEVERITY_LABELS, Severity
from backend.records.rules import (
    EXCEPTION_MAX_MONTHS,
    FAMILY_LABELS,
    FAVOURABLE_BASIS,
    PUBLICATION_LABELS,
    RULE_SETS,
    Period,
    RuleSet,
)
from backend.records.services import PUBLISH_WORKING_DAYS

PUBLISH_BASIS = "淮政办发〔2020〕80号 五(二)：十种行政行为信息7个工作日内上网公开"
EXCEPTION_BASIS = "国家发展改革委令2025年第36号、国办发〔2025〕22号：轻微失信信息原则上不予公示，确需公示的最长3个月"


def _period(period: Period, severity: str, label: str) -> dict:
    return {"severity": severity, "severity_label": label, "min_months": period.min_months,
            "max_months": period.max_months, "publication": period.publication,
            "publication_label": PUBLICATION_LABELS[period.publication]}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _dates(rs) -> dict:
    return {"effective_from": _iso(rs.effective_from), "effective_to": _iso(rs.effective_to)}


def _publicity(rs: RuleSet) -> dict:
    periods = [_period(rs.periods[s], s.value, SEVERITY_LABELS[s]) for s in Severity]
    if rs.warning is not None:
        periods.append(_period(rs.warning, "warning", "警告"))
    overrides = [
        {"domain": domain, **_period(p, s.value, SEVERITY_LABELS[s])}
        for domain, by_severity in rs.domain_overrides.items() for s, p in by_severity.items()
    ]
    return {"version": rs.version, "title": rs.title, "family": rs.family, "family_label": FAMILY_LABELS[rs.family],
            "basis": rs.basis, **_dates(rs), "periods": periods, "domain_overrides": overrides}


def _repair(rs: RuleSet) -> dict:
    terms = rs.repair
    assert terms is not None, "called only for rule sets with repair terms"
    return {"version": rs.version, "family": rs.family, "family_label": FAMILY_LABELS[rs.family], **_dates(rs),
            "conditions": list(terms.conditions), "materials": list(terms.materials), "filed_at": terms.filed_at,
            "basis": terms.basis}


def _grades(rules: GradeRules) -> dict:
    bands, upper = [], rules.max_score
    for g in rules.grades:  # highest first
        bands.append({"key": g.key, "label": g.label, "min_score": g.min_score, "max_score": upper})
        upper = g.min_score - 1
    return {"version": rules.version, "subject_kind": rules.subject_kind, "title": rules.title,
            "effective_from": _iso(rules.effective_from), "effective_to": _iso(_next_effective(rules)),
            "basis": list(rules.basis), "base": rules.base, "min_score": rules.min_score,
            "max_score": rules.max_score, "bands": bands, "district_choices": dict(rules.district_choices),
            "objection_rationale": rules.objection_rationale, "objection_practice": rules.objection_practice}


def _next_effective(rules: GradeRules) -> date | None:
    later = [s.effective_from for s in all_rulesets()
             if s.subject_kind == rules.subject_kind and s.effective_from > rules.effective_from]
    return min(later) if later else None


def policy_document(today: date) -> dict:
    """The rule sets in force on ``today`` (and those they replaced, for records that straddle),
    JSON-ready (dates as ISO strings)."""
    in_force = [rs for rs in RULE_SETS if rs.in_force_on(today)]
    earlier = [rs for rs in RULE_SETS if rs.effective_to is not None and rs.effective_to <= today]
    grade_sets = [rules_for(kind, today) for kind in sorted({s.subject_kind for s in all_rulesets()})]
    return {
        "as_of": today,
        "publicity": [_publicity(rs) for rs in in_force],
        "repair": [_repair(rs) for rs in in_force if rs.repair is not None],
        "handling_times": [
            {"version": rs.version, "family_label": FAMILY_LABELS[rs.family], **_dates(rs),
             "platform_working_days": rs.repair.handling.platform_working_days,
             "department_working_days": rs.repair.handling.department_working_days,
             "basis": rs.repair.handling.basis}
            for rs in in_force if rs.repair is not None and rs.repair.handling is not None
        ],
        "grades": [_grades(g) for g in grade_sets],
        "exception_publication": {"max_months": EXCEPTION_MAX_MONTHS, "basis": EXCEPTION_BASIS},
        "straddling_records": {"principle": FAVOURABLE_BASIS,
                               "earlier_rule_sets": [_publicity(rs) for rs in earlier]},
        "publication_deadline": {"working_days": PUBLISH_WORKING_DAYS, "basis": PUBLISH_BASIS},
        "working_days": {"basis": STATUTORY_BASIS + "；无国务院当年通知的年份按其推算法定节假日（暂定），录入通知后以通知为准"},
    }

"""Publicity and repair rules (公示期限与信用修复规则) as dated, versioned data.

Each :class:`RuleSet` says from which decision date it applies, what it is based on, and the
minimum and maximum publicity periods per severity (轻微 / 一般 / 严重), with domain overrides.
Periods count from the date of the decision document (决定/认定之日). Nothing here touches the
database: :func:`publicity_window` is a pure function of its arguments.

Sources
- 《失信行为纠正后的信用信息修复管理办法（试行）》, 国家发展改革委令2023年第58号, in force 2023-05-01:
  行政处罚信息 minimum 3 months (1 year for 食品, 药品, 特种设备, 安全生产, 消防), maximum 3 years.
- 《信用修复管理办法》, 国家发展改革委令2025年第36号 (with 国办发〔2025〕22号《关于进一步完善信用修复制度的
  实施方案》), in force 2026-04-01, replacing Order 58: 轻微 normally not published, if published at
  most 3 months and repairable once the legal obligation is met; 一般 3 months – 1 year; 严重 1 – 3 years.

Choices the sources leave open (documented here so they can be revisited in one place)
- Decisions made before 2023-05-01 get Order 58's periods: there is no earlier rule in this table,
  and every repair application since 2023-05-01 has been decided under Order 58 or its successor.
- Positive and neutral kinds (许可, 确认, 奖励, 荣誉 …) have no documented maximum: 行政许可 stays public
  while the licence is valid, so ``max_end`` is None (the department revokes or corrects it).
- Judicial kinds (失信被执行人, 虚假诉讼失信人) follow the court's own rules (法释〔2017〕7号: the court sets
  the period and deletes the entry on performance), so neither minimum nor maximum is computed here;
  removal arrives as a status change from the court. Such records are severity 严重 by nature.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from backend.records.models import JUDICIAL_KINDS, Polarity, RecordKind, Severity


@dataclass(frozen=True)
class Period:
    """A publicity period for one severity, in months from the decision date (None = not set)."""

    min_months: int | None
    max_months: int | None
    # 轻微 information is "normally not published" under the 2026 measures.
    normally_published: bool = True


@dataclass(frozen=True)
class RepairTerms:
    """What a repair (信用修复) application needs under a rule set (used by the repair context)."""

    # Repair is possible after the minimum period; for 轻微 under the 2026 rules (min 0), as soon as
    # the legal obligation is met.
    conditions: tuple[str, ...]
    materials: tuple[str, ...]
    decision_working_days: int = 10  # 信用中国 practice: decide within 10 working days


@dataclass(frozen=True)
class RuleSet:
    version: str
    title: str
    basis: str
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    periods: Mapping[Severity, Period]
    # domain (领域) → severity → period; a domain matches when its name appears in the record's domain.
    domain_overrides: Mapping[str, Mapping[Severity, Period]] = field(default_factory=dict)
    repair: RepairTerms | None = None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def period_for(self, severity: Severity, domain: str | None = None) -> Period:
        if domain:
            for name, overrides in self.domain_overrides.items():
                if name in domain and severity in overrides:
                    return overrides[severity]
        return self.periods[severity]


def _frozen(d: dict) -> Mapping:
    return MappingProxyType(d)


_ORDER58_DOMAINS = ("食品", "药品", "特种设备", "安全生产", "消防")

RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        version="ndrc-order58-2023",
        title="失信行为纠正后的信用信息修复管理办法（试行）",
        basis="国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》，自2023年5月1日起施行",
        effective_from=date(2023, 5, 1),
        effective_to=date(2026, 4, 1),
        periods=_frozen({s: Period(3, 36) for s in Severity}),
        domain_overrides=_frozen({d: _frozen({s: Period(12, 36) for s in Severity}) for d in _ORDER58_DOMAINS}),
        repair=RepairTerms(
            conditions=("已达到最短公示期", "已纠正失信行为并履行相关义务", "作出信用修复承诺"),
            materials=("信用修复申请书", "履行义务的证明材料", "信用修复承诺书", "信用修复培训证明", "信用报告"),
        ),
    ),
    RuleSet(
        version="ndrc-repair-2026",
        title="信用修复管理办法",
        basis="国家发展改革委令2025年第36号《信用修复管理办法》（配合国办发〔2025〕22号），自2026年4月1日起施行",
        effective_from=date(2026, 4, 1),
        effective_to=None,
        periods=_frozen({
            Severity.MINOR: Period(0, 3, normally_published=False),
            Severity.GENERAL: Period(3, 12),
            Severity.SERIOUS: Period(12, 36),
        }),
        repair=RepairTerms(
            conditions=("已达到最短公示期（轻微失信信息履行法定责任后即可）", "已纠正失信行为并完全履行相关义务",
                        "公开作出信用承诺"),
            materials=("履行义务的证明材料", "信用修复承诺书"),
        ),
    ),
)


def rule_set_on(day: date, rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> RuleSet:
    """The rule set in force on ``day``; days before the first set get the earliest one (see module doc)."""
    for rs in rule_sets:
        if rs.in_force_on(day):
            return rs
    earliest = min(rule_sets, key=lambda r: r.effective_from)
    if day < earliest.effective_from:
        return earliest
    raise LookupError(f"no publicity rule set covers {day}")  # a gap in the table is a programming error


def repair_rule_on(day: date) -> RuleSet:
    """The rules a repair decided on ``day`` follows (its :class:`RepairTerms` are in ``.repair``)."""
    return rule_set_on(day)


# --- polarity --------------------------------------------------------------------------------

_NEGATIVE_KINDS = frozenset({
    RecordKind.ADMIN_PENALTY, RecordKind.ADMIN_COERCION, RecordKind.COMMITMENT_BREACH,
    RecordKind.JUDGMENT_DEFAULTER, RecordKind.FALSE_LITIGANT,
})
_POSITIVE_KINDS = frozenset({RecordKind.ADMIN_REWARD, RecordKind.HONOUR})

# What an inspection row (行政监督检查) says when the inspection found problems.
_PROBLEM_WORDS = ("不合格", "发现问题", "存在问题", "责令整改", "限期整改", "违法", "problem", "fail", "non-compliant")


def inspection_found_problems(result: str | None) -> bool:
    """True when the inspection result text reports problems (``不合格``, ``责令整改`` …)."""
    text = (result or "").strip().lower()
    if not text:
        return False
    if any(w in text for w in ("未发现问题", "无问题", "未发现违法", "no problem", "not found")):
        return False
    return any(w in text for w in _PROBLEM_WORDS)


def polarity_of(kind: RecordKind, severity: Severity | None = None, result: str | None = None) -> Polarity:
    """失信 (negative), 守信 (positive) or neutral. ``severity`` does not change a kind's polarity;
    an inspection (行政监督检查) is negative only when its ``result`` says it found problems."""
    if kind in _NEGATIVE_KINDS:
        return Polarity.NEGATIVE
    if kind in _POSITIVE_KINDS:
        return Polarity.POSITIVE
    if kind == RecordKind.ADMIN_INSPECTION and inspection_found_problems(result):
        return Polarity.NEGATIVE
    return Polarity.NEUTRAL


# --- windows ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the last day of a shorter month (1-31 + 1 → 2-28)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PublicityWindow:
    start: date
    min_end: date | None  # repair possible from this day
    max_end: date | None  # drops off after this day
    rule_version: str
    basis: str
    normally_published: bool = True


JUDICIAL_RULE = "court-rules"
JUDICIAL_BASIS = "最高人民法院《关于公布失信被执行人名单信息的若干规定》（法释〔2017〕7号）等：期限与删除由人民法院决定"
NO_PERIOD_RULE = "no-fixed-period"


def publicity_window(
    kind: RecordKind,
    severity: Severity | None,
    decision_date: date,
    domain: str | None = None,
    polarity: Polarity | None = None,
) -> PublicityWindow:
    """The publicity window of a record, from the rule set in force on ``decision_date``.

    ``polarity`` defaults to the kind's own; pass it for an inspection that found problems.
    A negative record without a severity is treated as 一般 (general): callers validate first.
    """
    polarity = polarity or polarity_of(kind, severity)
    if kind in JUDICIAL_KINDS:
        return PublicityWindow(decision_date, None, None, JUDICIAL_RULE, JUDICIAL_BASIS)
    rules = rule_set_on(decision_date)
    if polarity != Polarity.NEGATIVE:
        basis = "守信与一般信息：无规定的公示期限（行政许可在有效期内公示）；依据 " + rules.basis
        return PublicityWindow(decision_date, None, None, NO_PERIOD_RULE, basis)
    period = rules.period_for(severity or Severity.GENERAL, domain)
    min_end = add_months(decision_date, period.min_months) if period.min_months is not None else None
    max_end = add_months(decision_date, period.max_months) if period.max_months is not None else None
    return PublicityWindow(decision_date, min_end, max_end, rules.version, rules.basis, period.normally_published)

"""Publicity and repair rules (公示期限与信用修复规则) as dated, versioned data.

Each :class:`RuleSet` belongs to a *family* (the general NDRC rules, or the market-regulation
rules that the providing department's domain selects), says from which decision date it applies,
what it is based on, and the minimum and maximum publicity periods per severity (轻微 / 一般 / 严重),
with domain overrides. Periods count from the date of the decision document (决定/认定之日).
Nothing here touches the database: :func:`publicity_window` is a pure function of its arguments.
``GET /public/v1/policy`` is generated from this table (:mod:`backend.policy.services`).
To change a period: add a new :class:`RuleSet` with its own ``effective_from`` (and close the old
one's ``effective_to``) rather than editing a set in force — records already decided keep theirs.

Sources (as /work/shared/DESIGN.md §3 states them; no paragraph is cited that was not checked)
- 《失信行为纠正后的信用信息修复管理办法（试行）》, 国家发展改革委令2023年第58号, 2023-05-01 – 2026-03-31:
  3 – 36 months for all, minimum 12 months in 食品, 药品, 特种设备, 安全生产, 消防; materials: the
  application, proof of fulfilment and the commitment.
- 《信用修复管理办法》, 国家发展改革委令2025年第36号 (with 国办发〔2025〕22号), from 2026-04-01, replacing
  Order 58: 轻微 原则上不予公示, if published at most 3 months and repairable once the legal obligation is
  met; 一般 3 months – 1 year; 严重 1 – 3 years; four conditions; 22号's handling times.
- 《市场监督管理信用修复管理办法》, 国家市场监督管理总局令第107号, from 2025-12-25 (market regulation):
  警告 not published; other 轻微 information leaves after 3 months without an application; 一般 3 – 12
  months, repair after 3; 严重 12 – 36 months, repair after 12; filed through 国家企业信用信息公示系统.
- 信用修复培训证明 and 信用报告 belong to the 2019 practice (发改办财金〔2019〕527号), which is not modelled.

Choices the sources leave open (documented here so they can be revisited in one place)
- Decisions made before 2023-05-01 get Order 58's periods: there is no earlier rule in this table,
  and every repair application since 2023-05-01 has been decided under Order 58 or its successor.
- A record that straddles a change of rules: no transitional article is in the sources we hold, so
  the rule more favourable to the subject applies (从旧兼从轻, :mod:`backend.records.publicity`).
- Market-regulation records decided before 2025-12-25 follow the general rules of their date.
- A market-regulation 警告 is a 行政处罚 whose title or summary says 警告 and that carries no fine.
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

GENERAL = "general"  # 国家发展改革委 rules, every department
MARKET_REGULATION = "market_regulation"  # 市场监管 rules, records of the market-regulation department
FAMILY_LABELS = {GENERAL: "通用（国家发展改革委）", MARKET_REGULATION: "市场监督管理部门"}


class Publication:
    """Whether a period's records are published (公示)."""

    PUBLIC = "public"  # published for the period
    WITHHELD = "withheld"  # 原则上不予公示: only where the department publishes it by exception, with its basis
    NEVER = "never"  # not published at all (107号: 警告)


PUBLICATION_LABELS = {Publication.PUBLIC: "公示", Publication.WITHHELD: "原则上不予公示", Publication.NEVER: "不予公示"}
# 36号 / 22号: where a department does publish 轻微 information, for at most 3 months.
EXCEPTION_MAX_MONTHS = 3


@dataclass(frozen=True)
class Period:
    """A publicity period for one severity, in months from the decision date (None = not set)."""

    min_months: int | None
    max_months: int | None
    publication: str = Publication.PUBLIC

    @property
    def normally_published(self) -> bool:
        return self.publication == Publication.PUBLIC


@dataclass(frozen=True)
class HandlingTimes:
    """How fast a repair application is handled, in working days, with the basis (for the repair issue)."""

    platform_working_days: int  # the platform (信用中国) answers within … of a complete application
    department_working_days: int  # the deciding department decides within … of receiving it
    basis: str


@dataclass(frozen=True)
class RepairTerms:
    """What a repair (信用修复) application needs under a rule set (used by the repair context)."""

    conditions: tuple[str, ...]
    materials: tuple[str, ...]
    filed_at: str  # where the application is filed
    basis: str
    handling: HandlingTimes | None = None  # None: the source sets no handling time we hold


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
    family: str = GENERAL
    warning: Period | None = None  # a penalty that is only a 警告, where the set has its own rule

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def period_for(self, severity: Severity, domain: str | None = None, *, warning: bool = False) -> Period:
        if warning and self.warning is not None:
            return self.warning
        if domain:
            for name, overrides in self.domain_overrides.items():
                if name in domain and severity in overrides:
                    return overrides[severity]
        return self.periods[severity]


def _frozen(d: dict) -> Mapping:
    return MappingProxyType(d)


_ORDER58_DOMAINS = ("食品", "药品", "特种设备", "安全生产", "消防")
ORDER58_BASIS = "国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》，自2023年5月1日起施行"
ORDER36_BASIS = "国家发展改革委令2025年第36号《信用修复管理办法》（配合国办发〔2025〕22号），自2026年4月1日起施行"
SAMR107_BASIS = "国家市场监督管理总局令第107号《市场监督管理信用修复管理办法》，自2025年12月25日起施行"
HANDLING_22 = HandlingTimes(
    platform_working_days=10, department_working_days=3,
    basis="国办发〔2025〕22号《关于进一步完善信用修复制度的实施方案》：“信用中国”网站自收到完整申请材料之日起10个工作日内"
          "作出答复；认定单位自收到申请之日起3个工作日内作出决定",
)

RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        version="ndrc-order58-2023",
        title="失信行为纠正后的信用信息修复管理办法（试行）",
        basis=ORDER58_BASIS,
        effective_from=date(2023, 5, 1),
        effective_to=date(2026, 4, 1),
        periods=_frozen({s: Period(3, 36) for s in Severity}),
        domain_overrides=_frozen({d: _frozen({s: Period(12, 36) for s in Severity}) for d in _ORDER58_DOMAINS}),
        repair=RepairTerms(
            conditions=("已达到最短公示期", "已纠正失信行为并履行相关义务", "作出信用修复承诺"),
            # Order 58's own list; 信用修复培训证明 and 信用报告 were the 2019 practice (发改办财金〔2019〕527号).
            materials=("信用修复申请书", "履行义务的证明材料", "信用修复承诺书"),
            filed_at="“信用中国”网站",
            basis=ORDER58_BASIS,
        ),
    ),
    RuleSet(
        version="ndrc-repair-2026",
        title="信用修复管理办法",
        basis=ORDER36_BASIS,
        effective_from=date(2026, 4, 1),
        effective_to=None,
        periods=_frozen({
            Severity.MINOR: Period(0, 3, Publication.WITHHELD),
            Severity.GENERAL: Period(3, 12),
            Severity.SERIOUS: Period(12, 36),
        }),
        repair=RepairTerms(
            conditions=("已达到最短公示期（轻微失信信息履行法定责任后即可）", "已纠正失信行为并完全履行相关义务",
                        "公开作出信用承诺", "满足法律、行政法规、部门规章的其他要求"),
            materials=("履行义务的证明材料", "信用修复承诺书"),
            filed_at="“信用中国”网站",
            basis=ORDER36_BASIS,
            handling=HANDLING_22,
        ),
    ),
    RuleSet(
        version="samr-order107-2025",
        title="市场监督管理信用修复管理办法",
        basis=SAMR107_BASIS,
        effective_from=date(2025, 12, 25),
        effective_to=None,
        family=MARKET_REGULATION,
        periods=_frozen({
            # 轻微: leaves publicity after 3 months without an application (no repair to ask for).
            Severity.MINOR: Period(None, 3),
            Severity.GENERAL: Period(3, 12),
            Severity.SERIOUS: Period(12, 36),
        }),
        warning=Period(None, None, Publication.NEVER),
        repair=RepairTerms(
            conditions=("已达到最短公示期（一般失信信息3个月，严重失信信息1年）", "按国家有关规定提出申请"),
            materials=(),  # set by the national system's own rules, not held here
            filed_at="国家企业信用信息公示系统",
            basis=SAMR107_BASIS,
        ),
    ),
)


def family_of_department(name: str | None, short_name: str | None = None) -> str:
    """The rule family a providing department's domain selects: 市场监督管理 → market regulation."""
    text = f"{name or ''} {short_name or ''}"
    return MARKET_REGULATION if ("市场监督管理" in text or "市场监管" in text) else GENERAL


def is_warning_only(kind: RecordKind, title: str | None, summary: str | None, amount_yuan: int | None) -> bool:
    """A 行政处罚 that is only a 警告 (no fine): 107号 does not publish it (see module doc)."""
    if kind != RecordKind.ADMIN_PENALTY or amount_yuan:
        return False
    return "警告" in f"{title or ''}{summary or ''}"


def rule_set_on(day: date, rule_sets: tuple[RuleSet, ...] = RULE_SETS, family: str = GENERAL) -> RuleSet:
    """The rule set of ``family`` in force on ``day`` (the general one where the family has none
    yet); days before the first general set get the earliest one (see module doc)."""
    if family != GENERAL:
        for rs in rule_sets:
            if rs.family == family and rs.in_force_on(day):
                return rs
    general = tuple(r for r in rule_sets if r.family == GENERAL)
    for rs in general:
        if rs.in_force_on(day):
            return rs
    earliest = min(general, key=lambda r: r.effective_from)
    if day < earliest.effective_from:
        return earliest
    raise LookupError(f"no publicity rule set covers {day}")  # a gap in the table is a programming error


def rule_set_by_version(version: str) -> RuleSet | None:
    return next((r for r in RULE_SETS if r.version == version), None)


def repair_rules_of(rule_version: str | None) -> RuleSet | None:
    """The rule set a record's repair follows: the one in force, for a ``"<then>><now>"`` version."""
    return rule_set_by_version((rule_version or "").rsplit(">", 1)[-1])


def repair_rule_on(day: date, family: str = GENERAL) -> RuleSet:
    """The rules a repair decided on ``day`` follows (its :class:`RepairTerms` are in ``.repair``)."""
    return rule_set_on(day, family=family)


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
    publication: str = Publication.PUBLIC

    @property
    def normally_published(self) -> bool:
        return self.publication == Publication.PUBLIC


JUDICIAL_RULE = "court-rules"
JUDICIAL_BASIS = "最高人民法院《关于公布失信被执行人名单信息的若干规定》（法释〔2017〕7号）等：期限与删除由人民法院决定"
NO_PERIOD_RULE = "no-fixed-period"
FAVOURABLE_BASIS = "跨越新旧规定的记录从旧兼从轻：公示期满和可申请修复的日期取决定时规定与现行规定中较早者"
_PUBLICATION_ORDER = (Publication.PUBLIC, Publication.WITHHELD, Publication.NEVER)  # less → more favourable


def _earlier(a: date | None, b: date | None) -> date | None:
    return a if b is None else b if a is None else min(a, b)


def _window_under(rules: RuleSet, severity: Severity | None, decision_date: date, domain: str | None,
                  warning: bool) -> PublicityWindow:
    period = rules.period_for(severity or Severity.GENERAL, domain, warning=warning)
    min_end = add_months(decision_date, period.min_months) if period.min_months is not None else None
    max_end = add_months(decision_date, period.max_months) if period.max_months is not None else None
    return PublicityWindow(decision_date, min_end, max_end, rules.version, rules.basis, period.publication)


def publicity_window(
    kind: RecordKind,
    severity: Severity | None,
    decision_date: date,
    domain: str | None = None,
    polarity: Polarity | None = None,
    *,
    family: str = GENERAL,
    warning: bool = False,
    as_of: date | None = None,
) -> PublicityWindow:
    """The publicity window of a record, from the ``family``'s rule set in force on ``decision_date``.

    With ``as_of`` (today), a negative record decided under an earlier rule set than the one in force
    on ``as_of`` gets the more favourable of the two (从旧兼从轻): the earlier repair date, the earlier
    end, the less publication; its ``rule_version`` is then ``"<at decision>><in force>"``.
    ``polarity`` defaults to the kind's own; pass it for an inspection that found problems.
    ``warning``: the record is a penalty that is only a 警告 (:func:`is_warning_only`).
    A negative record without a severity is treated as 一般 (general): callers validate first.
    """
    polarity = polarity or polarity_of(kind, severity)
    if kind in JUDICIAL_KINDS:
        return PublicityWindow(decision_date, None, None, JUDICIAL_RULE, JUDICIAL_BASIS)
    rules = rule_set_on(decision_date, family=family)
    if polarity != Polarity.NEGATIVE:
        basis = "守信与一般信息：无规定的公示期限（行政许可在有效期内公示）；依据 " + rules.basis
        return PublicityWindow(decision_date, None, None, NO_PERIOD_RULE, basis)
    then = _window_under(rules, severity, decision_date, domain, warning)
    if as_of is None or as_of <= decision_date:
        return then
    current = rule_set_on(as_of, family=family)
    if current.version == rules.version:
        return then
    now = _window_under(current, severity, decision_date, domain, warning)
    publication = max(then.publication, now.publication, key=_PUBLICATION_ORDER.index)
    return PublicityWindow(
        decision_date, _earlier(then.min_end, now.min_end), _earlier(then.max_end, now.max_end),
        f"{rules.version}>{current.version}", f"{rules.basis}；{FAVOURABLE_BASIS}（现行：{current.basis}）", publication,
    )

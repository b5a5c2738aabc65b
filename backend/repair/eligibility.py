"""When and where a credit record can be repaired (信用修复): the ONE function that decides it.

Pure (no database): :func:`repair_timing` reads what the evaluation engine already holds of a record
(kind, polarity, status, ``publicity_min_end``, ``rule_version``), so the card's repair hints
(``backend.evaluation.engine._repair_note``) and the mini-program's eligibility answer
(``backend.repair.services.eligibility``) cannot disagree.

The rules come from :mod:`backend.records.rules`: the rule set a record's repair follows is
:func:`repair_rules_of` its ``rule_version`` (for a record decided under Order 58 and still public
after 2026-04-01 that is the 2026 measures, 从旧兼从轻, already folded into ``publicity_min_end``);
judicial records (失信被执行人, 虚假诉讼失信人) are removed by the court, not repaired here;
market-regulation records (总局令第107号) are repaired through 国家企业信用信息公示系统.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.common.clock import chinese_date
from backend.records.models import JUDICIAL_KINDS
from backend.records.rules import JUDICIAL_BASIS, MARKET_REGULATION, RuleSet, repair_rules_of

# Routes of an answer (the mini-program shows one of them).
ELIGIBLE = "eligible"  # may apply now, here
NOT_YET = "not_yet"  # may apply here from ``earliest``
COURT = "court"  # 人民法院 removes it on performance; no application here
MARKET = "market_regulation"  # 国家企业信用信息公示系统, not here
NOT_NEEDED = "not_needed"  # not negative, or no longer public: nothing to repair
ON_HOLD = "on_hold"  # 异议中: the objection is decided first

COURT_WHERE = "作出决定的人民法院"
COURT_MESSAGE = "司法失信信息不适用信用修复申请：履行生效法律文书确定的义务后，由人民法院依法删除或屏蔽"
_COUNTED = ("publicizing", "objected")
_STATUS_DONE = {"repaired": "已修复", "revoked": "已撤销", "corrected": "已更正", "expired": "已到期"}


@dataclass(frozen=True)
class RepairTiming:
    route: str
    message: str  # one sentence, as the card shows it
    earliest: date | None  # the first day an application can be made, if still to come (None: now, or no date)
    rules: RuleSet | None  # the rule set the repair follows (its ``.repair`` terms)
    filed_at: str | None  # where the application is filed
    basis: str

    @property
    def eligible_now(self) -> bool:
        return self.route == ELIGIBLE

    @property
    def here(self) -> bool:
        """Applied for through this platform (eligible now or later)."""
        return self.route in (ELIGIBLE, NOT_YET)


def _when(min_end: date | None, as_of: date) -> tuple[bool, str]:
    if min_end is not None and as_of < min_end:
        return False, f"自{chinese_date(min_end)}起可申请信用修复"
    if min_end is not None:
        return True, "已满最短公示期，可申请信用修复"
    return True, "履行相关义务后即可申请信用修复"


def repair_timing(*, kind: str, polarity: str, status: str, publicity_min_end: date | None,
                  rule_version: str | None, as_of: date) -> RepairTiming:
    """Whether, from when and where the record can be repaired on ``as_of`` (see the module doc)."""
    rules = repair_rules_of(rule_version)
    terms = rules.repair if rules is not None else None
    basis = terms.basis if terms is not None else (rules.basis if rules is not None else "")
    if kind in JUDICIAL_KINDS:  # StrEnum members: the plain value matches too
        return RepairTiming(COURT, COURT_MESSAGE, None, None, COURT_WHERE, JUDICIAL_BASIS)
    if polarity != "negative":
        return RepairTiming(NOT_NEEDED, "守信信息和一般信息无需信用修复", None, rules, None, basis)
    if status not in _COUNTED:
        label = _STATUS_DONE.get(status, status)
        return RepairTiming(NOT_NEEDED, f"该信息{label}，已不再公示，无需信用修复", None, rules, None, basis)
    open_now, message = _when(publicity_min_end, as_of)
    earliest = publicity_min_end if publicity_min_end is not None and not open_now else None
    if rules is not None and rules.family == MARKET_REGULATION and terms is not None:
        # 总局令第107号: the national system decides, this platform does not take the application.
        return RepairTiming(MARKET, f"{message}（通过{terms.filed_at}申请）", earliest, rules,
                            terms.filed_at, basis)
    if status == "objected":
        return RepairTiming(ON_HOLD, "该信息正在异议处理中，异议办结后方可申请信用修复", earliest, rules,
                            terms.filed_at if terms else None, basis)
    return RepairTiming(ELIGIBLE if open_now else NOT_YET, message, earliest, rules,
                        terms.filed_at if terms else None, basis)


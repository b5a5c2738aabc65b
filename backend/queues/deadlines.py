"""Handling deadlines (办理时限) as dated data, each with its basis.

A rule says: a step of a kind of work is due ``working_days`` working days after the step began,
for steps beginning between ``valid_from`` and ``valid_to``. A new notice adds a row with a new
``valid_from`` (and closes the old row's ``valid_to``); nothing else changes. Working days come from
the calendar context (:func:`backend.calendar.workdays.add_working_days`), so holidays and make-up
working days count as the calendar table says.

To change a deadline (e.g. 异议受理's 2 working days): add a row with the new number, its basis and
a ``valid_from``, and set the old row's ``valid_to`` to the day before (both ends are inclusive).
Items already open keep the rule they started under (``QueueItem.deadline_rule`` stores its code).

信用修复 (repair): the rows are not written here but derived from the rule sets' own handling times
(``RepairTerms.handling`` in :data:`backend.records.rules.RULE_SETS`; today 国办发〔2025〕22号: 3 working
days for the deciding department, 10 for the answer to the applicant), one row per general rule set,
valid while that set is in force. To change the repair deadline, add a rule set there (with its
``HandlingTimes``); do not add a ``repair`` row here. Order 58's rule set holds no handling time
(``RepairTerms.handling`` is None), so repairs filed before 2026-04-01 have no deadline row.
The 10 working days to answer the applicant are not a queue step (nobody acts on them): the repair
context computes that date from the same rule-set data (``backend.repair.services.answer_due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.records.rules import GENERAL, RULE_SETS, RuleSet


@dataclass(frozen=True)
class DeadlineRule:
    code: str  # stored on the item (QueueItem.deadline_rule)
    kind: str
    step: str  # the item state the deadline applies to
    working_days: int
    valid_from: date
    valid_to: date | None
    basis: str  # where the number comes from


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        "objection.accept.2020", "objection", "pending", 2, date(2020, 1, 1), None,
        "异议受理：信用办收到异议申请后2个工作日内决定是否受理。淮政办发〔2020〕80号 五(四)只要求“尽快核实”，"
        "此为广州市公共信用信息异议处理实践的期限，本区作为办理时限采用。",
    ),
    DeadlineRule(
        "objection.verify.2020", "objection", "verifying", 10, date(2020, 1, 1), None,
        "异议核实：信息提供单位收到核查请求后10个工作日内核实并作出维持、更正或撤销的决定（广州市实践，本区采用）。",
    ),
    DeadlineRule(
        "objection.complete.2020", "objection", "awaiting_applicant", 10, date(2020, 1, 1), None,
        "材料补正：申请人在10个工作日内补齐材料（本区自定），逾期由信用办决定不予受理。",
    ),
    DeadlineRule(
        "agency.review.2026", "agency", "pending", 5, date(2026, 1, 1), None,
        "企业授权经办审核：信用办5个工作日内审核（本区自定，无上位时限）。",
    ),
    DeadlineRule(
        "loan.decide.2026", "loan", "pending", 5, date(2026, 1, 1), None,
        "信易贷审批：合作银行收到申请后5个工作日内作出批准或不予批准的决定（本区自定，淮政办发〔2020〕80号 五(三)"
        "要求为中小微企业提供方便快捷的信用产品，未规定时限）。",
    ),
    DeadlineRule(
        "list_proposal.confirm.2026", "list_proposal", "pending", 5, date(2026, 1, 1), None,
        "严重失信主体名单、市场和行业禁入认定确认：信用办收到部门提议后5个工作日内确认列入或不予列入（本区自定；"
        "淮政办发〔2020〕80号 四(一)要求“审慎开展严重失信主体名单认定”，无上位时限）。",
    ),
    DeadlineRule(
        "commitment_followup.check.2026", "commitment_followup", "pending", 10, date(2026, 1, 1), None,
        "承诺履约核查：承诺期满后，登记部门10个工作日内核查践诺或违诺（本区自定；淮政办发〔2020〕80号 二(一)"
        "要求“开展信用承诺事中、事后监管，及时将违背信用承诺的市场主体信息……报送区信用办”，无上位时限）。",
    ),
)


def _repair_rows(rule_sets: tuple[RuleSet, ...]) -> tuple[DeadlineRule, ...]:
    """One ``repair``/``deciding`` row per general rule set that holds handling times, valid while the
    set is in force (a set's ``effective_to`` is exclusive, a row's ``valid_to`` inclusive). A new rule
    set with its own :class:`~backend.records.rules.HandlingTimes` therefore brings its own deadline
    row: the queue's deadline and the applicant's answer date (``backend.repair.services.answer_due``)
    come from the same set on the same day."""
    rows = []
    for rs in rule_sets:
        handling = rs.repair.handling if rs.repair is not None else None
        if rs.family != GENERAL or handling is None:
            continue
        days = handling.department_working_days
        rows.append(DeadlineRule(
            f"repair.decide.{rs.effective_from.year}", "repair", "deciding", days, rs.effective_from,
            rs.effective_to - timedelta(days=1) if rs.effective_to is not None else None,
            f"信用修复决定：认定单位自收到申请之日起{days}个工作日内作出决定。依据：{handling.basis}",
        ))
    return tuple(rows)


DEADLINE_RULES += _repair_rows(RULE_SETS)
assert len({r.code for r in DEADLINE_RULES}) == len(DEADLINE_RULES), "deadline rule codes must be unique"


def rule_for(kind: str, step: str, on: date) -> DeadlineRule | None:
    """The rule in force on ``on`` for this step of this kind (None: the step has no deadline)."""
    for rule in DEADLINE_RULES:
        if (rule.kind == kind and rule.step == step and rule.valid_from <= on
                and (rule.valid_to is None or on <= rule.valid_to)):
            return rule
    return None


def rule_by_code(code: str | None) -> DeadlineRule | None:
    return next((r for r in DEADLINE_RULES if r.code == code), None)


def deadline_for(session: Session, kind: str, step: str, start: date) -> tuple[date | None, DeadlineRule | None]:
    """(due date, rule) of a step that begins on ``start``; (None, None) when no rule applies."""
    rule = rule_for(kind, step, start)
    if rule is None:
        return None, None
    return add_working_days(session, start, rule.working_days), rule

"""The kinds of queue work, in one table: states, decisions per state, and who applies them.

Adding a kind (信用修复 ``repair``, 信易贷 loans, list confirmations …) is one :class:`QueueKind`
row in :data:`KINDS` plus its deadline rows in :mod:`backend.queues.deadlines`; the engine
(:mod:`backend.queues.services`) does claiming, scope, deadlines, timeline and audit for all of them.
The kind's ``handler`` ("module:function", resolved when first used, so the engine imports no
context) applies a decision to the kind's own data and says where the item goes next.

Adding a kind, all of it (``tests/queues/test_kinds_table.py`` checks the table):
1. a :class:`QueueKind` row at the end of :data:`KINDS` — ``name`` at most 20 characters, states and
   outcomes at most 30 (the ``queue_items`` columns); ``worker_roles``: who besides the credit office
   works it (``()``: the credit office alone); ``describe``: what the console's detail page shows;
2. its dated rows (number, ``valid_from``, basis) at the end of ``DEADLINE_RULES`` in
   :mod:`backend.queues.deadlines` (a step without a row has no deadline);
3. open items with ``backend.queues.services.open_item`` from the kind's own service;
4. only if a decision carries more than outcome + reason: the fields in ``QueueDecideIn``
   (:mod:`backend.queues.schemas`, the API) and a ``KIND_FORMS`` row in
   :mod:`backend.staff.console.queues` (the console's form). Nothing else in the console changes:
   the queue page, the menu entry and the dashboard count come from this table for every role that
   may read the kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

DONE = "done"  # 已办结: the one closed state every kind shares


@dataclass(frozen=True)
class Next:
    """What a decision leads to: a closed item (``state=DONE``) or the next step, possibly routed
    to another department (``department_id``)."""

    state: str
    department_id: int | None = None


@dataclass(frozen=True)
class QueueKind:
    name: str
    label: str
    states: dict[str, str]  # state → 中文 label, DONE included
    initial: str
    # state → {outcome → label}: the decisions staff may take in that state.
    outcomes: dict[str, dict[str, str]]
    handler: str  # "module:function"(session, actor, item, outcome, reason, data) -> Next
    outcome_labels: dict[str, str] = field(default_factory=dict)  # closing outcomes not decided by staff
    # Staff roles, besides the credit office (all kinds) and auditors (read only), who work this kind
    # in their own organisation's queue: department reviewers, a partner bank's loan officers …
    worker_roles: tuple[str, ...] = ("dept_reviewer",)
    # "module:function"(session, actor, item) -> ItemDescription: what a reviewer reads on the item's
    # detail page (console) — facts, the records concerned, the evidence files. None: facts only
    # from the item itself.
    describe: str | None = None
    # May the credit office re-route an item to another department? Not when the department is the
    # one the applicant chose and authorised (a 信易贷 application's bank): another would see facts it
    # was not given and the chosen one would lose the item.
    reroutable: bool = True

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(s for s in self.states if s != DONE)

    def label_of(self, outcome: str | None) -> str | None:
        if outcome is None:
            return None
        for choices in self.outcomes.values():
            if outcome in choices:
                return choices[outcome]
        return self.outcome_labels.get(outcome, outcome)

    def apply(self, *args, **kwargs) -> Next:
        fn: Callable[..., Next] = _resolve(self.handler)
        return fn(*args, **kwargs)

    def description(self, *args, **kwargs) -> ItemDescription:
        if self.describe is None:
            return ItemDescription()
        fn: Callable[..., ItemDescription] = _resolve(self.describe)
        return fn(*args, **kwargs)


def _resolve(ref: str) -> Callable:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class ItemDescription:
    """What a kind tells a reviewer about one item (its ``describe`` hook): labelled facts in reading
    order (already masked as staff may see them), the credit records the item is about (the detail
    page shows each with its history) and the uploaded evidence files (``uploads.id``) that belong to
    it — the console serves only these files for this item, each view audited."""

    facts: tuple[tuple[str, str], ...] = ()
    record_ids: tuple[int, ...] = ()
    upload_ids: tuple[int, ...] = ()


KINDS: dict[str, QueueKind] = {
    k.name: k
    for k in (
        QueueKind(
            name="objection", label="异议申诉",
            states={"pending": "待受理", "awaiting_applicant": "待补正", "verifying": "办理中（核实）", DONE: "已办结"},
            initial="pending",
            outcomes={
                "pending": {"accept": "受理", "refuse": "不予受理"},
                "awaiting_applicant": {"refuse": "不予受理"},
                "verifying": {"maintain": "维持", "correct": "更正", "revoke": "撤销"},
            },
            handler="backend.objections.flow:apply_decision",
            outcome_labels={"withdrawn": "申请人撤回"},
            describe="backend.objections.review:describe_item",
        ),
        QueueKind(
            name="agency", label="企业授权经办",
            states={"pending": "待审核", DONE: "已办结"},
            initial="pending",
            outcomes={"pending": {"approve": "同意授权", "reject": "不予授权"}},
            handler="backend.subjects.agency:apply_queue_decision",
            outcome_labels={"withdrawn": "申请人撤回"},
            describe="backend.subjects.agency:describe_queue_item",
        ),
        QueueKind(
            name="loan", label="信易贷申请",
            states={"pending": "待银行审批", DONE: "已办结"},
            initial="pending",
            outcomes={"pending": {"approve": "批准贷款", "refuse": "不予批准"}},
            handler="backend.loans.flow:apply_decision",
            outcome_labels={"withdrawn": "申请企业撤回"},
            worker_roles=("bank_partner",),
            describe="backend.loans.flow:describe",
            reroutable=False,
        ),
        # 严重失信 / 禁入 by proposal and confirmation (issue 13 item 1): a department proposes, the credit
        # office alone confirms; the proposer may not confirm their own (backend.lists.proposals).
        QueueKind(
            name="list_proposal", label="名单认定确认",
            states={"pending": "待确认", DONE: "已办结"},
            initial="pending",
            outcomes={"pending": {"confirm": "确认列入", "reject": "不予列入"}},
            handler="backend.lists.proposals:apply_queue_decision",
            worker_roles=(),
            describe="backend.lists.proposals:describe_item",
        ),
        # 承诺履约核查 (issue 11 item 1): an active commitment past its term, checked by the department
        # that took it; opened by the daily job (backend.commitments.followups).
        QueueKind(
            name="commitment_followup", label="承诺履约核查",
            states={"pending": "待核查", DONE: "已办结"},
            initial="pending",
            outcomes={"pending": {"kept": "践诺", "breached": "违诺", "withdrawn": "撤回（登记有误）"}},
            handler="backend.commitments.followups:apply_queue_decision",
            outcome_labels={"closed_elsewhere": "已在承诺登记中核查"},
            describe="backend.commitments.followups:describe_item",
        ),
        QueueKind(
            name="repair", label="信用修复",
            states={"deciding": "待决定（认定单位）", DONE: "已办结"},
            initial="deciding",
            outcomes={"deciding": {"repair": "准予修复", "refuse": "不予修复"}},
            handler="backend.repair.flow:apply_decision",
            outcome_labels={"withdrawn": "申请人撤回", "expired": "信息已到最长公示期，申请终结"},
            describe="backend.repair.flow:describe",
        ),
    )
}


def get_kind(name: str) -> QueueKind:
    return KINDS[name]

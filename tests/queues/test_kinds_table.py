"""The KINDS table is what a newcomer edits to add a kind: what it needs is checked here, on SQLite too
(PostgreSQL alone would refuse a kind name longer than the column at the first item)."""

from __future__ import annotations

from backend.queues.deadlines import DEADLINE_RULES
from backend.queues.kinds import DONE, KINDS, _resolve
from backend.queues.models import QueueEvent, QueueItem
from backend.queues.schemas import QueueDecideIn


def _width(column) -> int:
    return column.property.columns[0].type.length


def test_every_kind_fits_the_queue_tables_and_its_hooks_resolve():
    for name, kind in KINDS.items():
        assert kind.name == name and len(name) <= _width(QueueItem.kind), name
        assert DONE in kind.states and kind.initial in kind.open_states, name
        for state in kind.states:
            assert len(state) <= min(_width(QueueItem.state), _width(QueueEvent.to_state)), (name, state)
        outcomes = {o for choices in kind.outcomes.values() for o in choices} | set(kind.outcome_labels)
        assert all(len(o) <= _width(QueueItem.outcome) for o in outcomes), name
        assert set(kind.outcomes) <= kind.open_states, name
        assert callable(_resolve(kind.handler)), name
        assert kind.describe is None or callable(_resolve(kind.describe)), name


def test_every_deadline_row_names_a_known_kind_and_state_and_its_code_fits():
    for rule in DEADLINE_RULES:
        assert rule.kind in KINDS and rule.step in KINDS[rule.kind].open_states, rule.code
        assert len(rule.code) <= _width(QueueItem.deadline_rule) and rule.basis, rule.code


def test_the_decide_schema_describes_every_kind():
    described = QueueDecideIn().fields["outcome"].metadata["description"]
    for kind in KINDS.values():
        assert kind.label in described, kind.name
        for choices in kind.outcomes.values():
            assert "/".join(choices) in described, kind.name

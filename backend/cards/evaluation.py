"""The evaluation part of a card: 公共信用综合评价 grade (firms) or 个人诚信分 (persons), explained.

The card computes it with the evaluation engine itself (:func:`backend.evaluation.engine.evaluate`,
the rules in force today) from the very records, list entries and kept commitments the card has
just read, turned into engine inputs by the same converters :func:`backend.evaluation.facts.load_facts`
uses, so the result equals what ``get_evaluation`` would store (``tests/cards/test_card_api.py``
checks this), at no extra query and without writing from a GET. The stored ``evaluations`` row
stays the evaluation context's business (recompute jobs, history, thresholds for perks).
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.evaluation.engine import evaluate
from backend.evaluation.facts import commitment_fact, list_fact, record_fact
from backend.evaluation.rules import rules_for
from backend.evaluation.services import today_cn
from backend.platform.db import utcnow


def evaluation_from_rows(kind: str, record_rows: Iterable, list_rows: Iterable, kept_rows: Iterable = ()) -> dict:
    """The card's ``evaluation`` block from current record rows, all list-entry rows and the rows of
    kept commitments (id, closed_on, matter)."""
    as_of = today_cn()
    records = [record_fact(r) for r in record_rows]
    lists = [list_fact(e) for e in list_rows]
    kept = [commitment_fact(c) for c in kept_rows]
    result = evaluate(rules_for(kind, as_of), records, lists, as_of, kept)
    return {
        # Firms: grade A–D; persons: score 0–1000 in bands (极差 … 极好), ``grade`` is the band key.
        "kind": "grade" if kind == "firm" else "score",
        "score": result.score,
        "grade": result.grade,
        "grade_label": result.grade_label,
        "forced": result.forced,
        "rules_version": result.rules_version,
        "as_of": result.as_of.isoformat(),
        "evaluated_at": utcnow().isoformat(timespec="seconds"),
        "dimensions": result.dimensions,
        "explanation": [
            {"kind": i.kind, "label": i.label, "title": i.title, "points": i.points, "dimension": i.dimension,
             "dimension_label": i.dimension_label, "note": i.note, "record_id": i.record_id,
             "list_entry_id": i.list_entry_id, "commitment_id": i.commitment_id}
            for i in result.items
        ],
        "hints": [
            {"action": h.action, "message": h.message, "record_id": h.record_id, "from_date": h.from_date}
            for h in result.hints
        ],
    }

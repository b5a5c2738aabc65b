"""Set-based rescoring of every subject (``flask credit recompute``).

PostgreSQL: one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` per subject kind computes every score in
SQL from ``credit_records`` and ``list_entries``. The SQL is *generated* from the same
:class:`~backend.evaluation.rules.RuleSet` the Python engine reads (rule matching, weighted
magnitudes, linear decay, dimension caps, clamping, forced grades, thresholds), so the two cannot
drift; ``tests/test_evaluation_batch.py`` proves they agree. A data-modifying CTE in the same
statement writes ``evaluation_history`` rows for grade changes (it sees the old grades: every part
of one statement reads the same snapshot).

Explanations are written lazily: a row whose score, grade or rules version changed gets
``explanation = NULL`` (stale); ``services.get_evaluation`` rebuilds it with ``evaluate_subject`` on
first read. Unchanged rows are not rewritten at all (no dead tuples for 1.25 M mostly-stable rows).

Other backends (SQLite, the embedded default): a chunked Python loop over the engine, which writes
explanations directly.

Kept commitments (信用承诺) count through the file's ``source = "commitment"`` rule on both paths:
each kept commitment from its ``closed_on`` day for ``valid_days`` (for ever without it).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.evaluation.engine import COUNTED_STATUS, OBJECTED_STATUS, evaluate
from backend.evaluation.facts import load_facts, store_results
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.rules import ANY, NO_SEVERITY, RuleSet, rules_for
from backend.evaluation.services import today_cn
from backend.platform.db import utcnow
from backend.subjects.models import Subject

log = logging.getLogger(__name__)
AS_OF = "CAST(:as_of AS date)"
SUBJECT_KINDS = ("firm", "person")


@dataclass
class BatchReport:
    method: str  # "sql" or "python"
    as_of: date
    total: int = 0  # subjects scored
    written: int = 0  # evaluation rows inserted or changed
    grade_changes: int = 0  # history rows written
    seconds: float = 0.0


def _lit(value: str) -> str:
    # Values come from the validated rules file (enum values): still, never quote anything else.
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(f"refusing to inline {value!r} into SQL")
    return f"'{value}'"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(_lit(v) for v in sorted(values))})"


def _record_case(rules: RuleSet) -> str:
    whens = []
    for rule in rules.rules:
        if rule.source != "record":
            continue
        conds = [_in("r.kind", rule.kinds)]
        if rule.polarity != ANY:
            conds.append(f"r.polarity = {_lit(rule.polarity)}")
        if rule.severity == NO_SEVERITY:
            conds.append("r.severity IS NULL")
        elif rule.severity != ANY:
            conds.append(f"r.severity = {_lit(rule.severity)}")
        whens.append(f"WHEN {' AND '.join(conds)} THEN {rule.index}")
    return "CASE " + " ".join(whens) + " END" if whens else "NULL::int"


def _list_case(rules: RuleSet) -> str:
    whens = []
    seen: set[str] = set()
    for rule in rules.rules:
        if rule.source == "list":
            types = rule.list_types - seen  # first matching rule wins, as in RuleSet.match_list
            seen |= rule.list_types
            if types:
                whens.append(f"WHEN {_in('l.list_type', types)} THEN {rule.index}")
    return "CASE " + " ".join(whens) + " END" if whens else "NULL::int"


def _rule_values(rules: RuleSet) -> str:
    dims = [d.key for d in rules.dimensions]
    rows = [
        f"({r.index}, {dims.index(r.dimension)}, {r.sign}, {r.magnitude}, {r.floor}, "
        f"{'true' if r.decay else 'false'}, {r.valid_days if r.valid_days else 'NULL'}::int)"
        for r in rules.rules if r.source in ("record", "list")
    ]
    return "VALUES " + ", ".join(rows) if rows else "VALUES (-1, 0, 1, 0, 0, false, NULL::int)"


def _points_sql(rules: RuleSet) -> str:
    """Per subject: every counted record / list entry as (dimension, sign, magnitude, forcing)."""
    statuses = {COUNTED_STATUS} | ({OBJECTED_STATUS} if rules.count_while_objected else set())
    forcing = _in("l.list_type", rules.force_list_types) if rules.force_list_types else "false"
    return f"""
ru (idx, dim, sign, mag, floor, decay, valid_days) AS ({_rule_values(rules)}),
rec AS (
  SELECT r.subject_id, r.decision_date, r.publicity_max_end AS max_end, {_record_case(rules)} AS ri
  FROM credit_records r JOIN subjects s ON s.id = r.subject_id AND s.kind = :kind
  WHERE r.is_current AND {_in("r.status", statuses)} AND r.decision_date <= {AS_OF}
    AND (r.publicity_max_end IS NULL OR r.publicity_max_end >= {AS_OF})
),
rec_end AS (
  SELECT rec.subject_id, rec.decision_date, ru.dim, ru.sign, ru.mag, ru.floor, ru.decay,
         COALESCE(rec.max_end + 1, rec.decision_date + ru.valid_days) AS end_date
  FROM rec JOIN ru ON ru.idx = rec.ri
),
lst AS (
  SELECT l.subject_id, {_list_case(rules)} AS li, {forcing} AS forcing
  FROM list_entries l JOIN subjects s ON s.id = l.subject_id AND s.kind = :kind
  WHERE l.status = 'active' AND l.listed_on <= {AS_OF} AND (l.expires_on IS NULL OR l.expires_on >= {AS_OF})
),
pts AS (
  SELECT subject_id, dim, sign,
         CASE WHEN decay AND end_date IS NOT NULL
              THEN mag - (mag - floor) * ({AS_OF} - decision_date) / (end_date - decision_date)
              ELSE mag END AS mag,
         false AS forcing
  FROM rec_end WHERE end_date IS NULL OR end_date > {AS_OF}
  UNION ALL
  SELECT lst.subject_id, ru.dim, ru.sign, COALESCE(ru.mag, 0), lst.forcing
  FROM lst LEFT JOIN ru ON ru.idx = lst.li
  WHERE lst.li IS NOT NULL OR lst.forcing{_commitment_points(rules)}
)"""


def _commitment_points(rules: RuleSet) -> str:
    """``UNION ALL`` the kept commitments' points, as the engine's ``_commitment_items`` counts them."""
    rule = rules.commitment_rule
    if rule is None:
        return ""
    dim = [d.key for d in rules.dimensions].index(rule.dimension)
    window = f" AND {AS_OF} < c.closed_on + {int(rule.valid_days)}" if rule.valid_days else ""
    return f"""
  UNION ALL
  SELECT c.subject_id, {dim}, {int(rule.sign)}, {int(rule.magnitude)}, false
  FROM commitments c JOIN subjects s ON s.id = c.subject_id AND s.kind = :kind
  WHERE c.status = 'kept' AND c.closed_on <= {AS_OF}{window}"""


def _score_sql(rules: RuleSet) -> str:
    cols, terms = [], []
    for i, d in enumerate(rules.dimensions):
        cols.append(f"SUM(CASE WHEN dim = {i} AND sign > 0 THEN mag ELSE 0 END) AS g{i}")
        cols.append(f"SUM(CASE WHEN dim = {i} AND sign < 0 THEN mag ELSE 0 END) AS n{i}")
        gain = f"LEAST(a.g{i}, {d.max_gain})" if d.max_gain else f"a.g{i}"
        loss = f"LEAST(a.n{i}, {d.max_loss})" if d.max_loss else f"a.n{i}"
        terms.append(f"{gain} - {loss}")
    net = " + ".join(terms) if terms else "0"
    cap = rules.force_score_cap if rules.force_score_cap is not None else rules.max_score
    grade_whens = " ".join(f"WHEN score >= {g.min_score} THEN {_lit_grade(g.key)}" for g in rules.grades)
    forced_grade = _lit_grade(rules.force_grade) if rules.force_grade else None
    grade_case = (f"CASE WHEN forced THEN {forced_grade} " if forced_grade else "CASE ") + grade_whens + \
        f" ELSE {_lit_grade(rules.grades[-1].key)} END"
    return f""",
agg AS (
  SELECT subject_id, {', '.join(cols)}, BOOL_OR(forcing) AS forced FROM pts GROUP BY subject_id
),
scored AS (
  SELECT s.id AS subject_id, COALESCE(a.forced, false) AS forced,
         GREATEST({rules.min_score}, LEAST({rules.max_score}, {rules.base} + COALESCE({net}, 0))) AS raw_score
  FROM subjects s LEFT JOIN agg a ON a.subject_id = s.id
  WHERE s.kind = :kind
),
final AS (
  SELECT subject_id, forced, CASE WHEN forced THEN LEAST(raw_score, {cap}) ELSE raw_score END AS score FROM scored
),
graded AS (
  SELECT subject_id, score, {grade_case} AS grade FROM final
)"""


def _lit_grade(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z_]+", key):
        raise ValueError(f"refusing to inline grade {key!r} into SQL")
    return f"'{key}'"


def scores_sql(rules: RuleSet) -> str:
    """SELECT (subject_id, score, grade) for every subject of ``rules.subject_kind`` (for tests, reports)."""
    return "WITH " + _points_sql(rules).lstrip() + _score_sql(rules) + "\nSELECT subject_id, score, grade FROM graded"


def upsert_sql(rules: RuleSet) -> str:
    """The one statement that rescores every subject of a kind and records grade changes."""
    return "WITH " + _points_sql(rules).lstrip() + _score_sql(rules) + """,
hist AS (
  INSERT INTO evaluation_history (subject_id, old_grade, new_grade, old_score, new_score, rules_version, cause, at)
  SELECT g.subject_id, e.grade, g.grade, e.score, g.score, :version, :cause, :now
  FROM graded g JOIN evaluations e ON e.subject_id = g.subject_id
  WHERE e.grade <> g.grade
  RETURNING 1
),
ins AS (
  INSERT INTO evaluations (subject_id, kind, score, grade, rules_version, as_of, explanation, computed_at)
  SELECT subject_id, :kind, score, grade, :version, """ + AS_OF + """, NULL, :now FROM graded
  ON CONFLICT (subject_id) DO UPDATE SET
    score = EXCLUDED.score, grade = EXCLUDED.grade, rules_version = EXCLUDED.rules_version,
    as_of = EXCLUDED.as_of, explanation = NULL, computed_at = EXCLUDED.computed_at
  WHERE evaluations.score <> EXCLUDED.score OR evaluations.grade <> EXCLUDED.grade
     OR evaluations.rules_version <> EXCLUDED.rules_version
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins) AS written, (SELECT count(*) FROM hist) AS grade_changes"""


def _recompute_sql(session: Session, as_of: date, report: BatchReport, cause: str) -> None:
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    for kind in SUBJECT_KINDS:
        rules = rules_for(kind, as_of)
        params = {"kind": kind, "as_of": as_of, "version": rules.version, "cause": cause, "now": utcnow()}
        written, changes = session.execute(text(upsert_sql(rules)), params).one()
        report.written += written
        report.grade_changes += changes
    report.total = session.execute(select(func.count()).select_from(Subject)).scalar_one()


def _recompute_python(session: Session, as_of: date, report: BatchReport, cause: str, chunk: int) -> None:
    last_id = 0
    while True:
        subjects = session.execute(
            select(Subject.id, Subject.kind).where(Subject.id > last_id).order_by(Subject.id).limit(chunk)
        ).all()
        if not subjects:
            return
        ids = [s.id for s in subjects]
        facts = load_facts(session, ids)
        current = {e.subject_id: e for e in session.execute(
            select(Evaluation).where(Evaluation.subject_id.in_(ids))).scalars()}
        changed = []
        for sid, kind in subjects:
            kind_value = getattr(kind, "value", kind)
            result = evaluate(rules_for(kind_value, as_of), facts.records[sid], facts.lists[sid], as_of,
                              facts.commitments[sid])
            row = current.get(sid)
            unchanged = (row is not None and row.score == result.score and row.grade == result.grade
                         and row.rules_version == result.rules_version)
            if not unchanged:
                changed.append((sid, result, row))
            report.total += 1
        report.grade_changes += len(store_results(session, changed, cause))
        report.written += len(changed)
        session.flush()
        for obj in list(session.identity_map.values()):  # keep memory flat; leave the caller's objects
            if isinstance(obj, Evaluation | EvaluationHistory):
                session.expunge(obj)
        last_id = ids[-1]


def recompute_everything(
    session: Session,
    as_of: date | None = None,
    *,
    actor: Actor = SYSTEM,
    method: str | None = None,
    chunk: int = 2000,
) -> BatchReport:
    """Rescore every subject on ``as_of`` (default: today in China). Flushes, never commits.

    ``method``: "sql" (PostgreSQL only), "python", or None to choose by backend.
    """
    as_of = as_of or today_cn()
    dialect = session.get_bind().dialect.name
    method = method or ("sql" if dialect == "postgresql" else "python")
    if method == "sql" and dialect != "postgresql":
        raise ValueError("the set-based SQL path needs PostgreSQL")
    report = BatchReport(method=method, as_of=as_of)
    started = time.perf_counter()
    cause = f"batch:{as_of.isoformat()}"
    if method == "sql":
        _recompute_sql(session, as_of, report, cause)
    else:
        _recompute_python(session, as_of, report, cause, chunk)
    report.seconds = time.perf_counter() - started
    audit(session, actor, "evaluation.batch_recompute", "evaluation", None, method=method,
          as_of=as_of.isoformat(), total=report.total, written=report.written,
          grade_changes=report.grade_changes)
    log.info("recomputed %s subjects (%s written, %s grade changes) in %.1fs by %s",
             report.total, report.written, report.grade_changes, report.seconds, method)
    return report

"""``flask credit recompute``: the set-based SQL (PostgreSQL) or chunked Python path agrees with the engine."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.evaluation.batch import recompute_everything
from backend.evaluation.engine import evaluate
from backend.evaluation.facts import load_facts
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.rules import rules_for
from backend.evaluation.services import evaluate_subject, get_evaluation
from tests.backends import needs_postgres
from tests.factories.evaluation import commitment, listing, record, subject

KINDS = ["admin_penalty", "admin_penalty", "admin_coercion", "admin_inspection", "judgment_defaulter",
         "false_litigant", "commitment_breach", "admin_reward", "honour", "admin_license"]


def varied_subjects(db, n: int = 60, seed: int = 7) -> list[int]:
    """Firms and persons with every kind of record, status, window and list the rules know."""
    rnd = random.Random(seed)
    ids = []
    for i in range(n):
        subj = subject(db, "firm" if i % 2 else "person")
        ids.append(subj.id)
        for _ in range(rnd.choice([0, 0, 1, 2, 3, 6])):
            kind = rnd.choice(KINDS)
            positive = kind in ("admin_reward", "honour")
            record(
                db, subj, kind,
                polarity="positive" if positive else "neutral" if kind == "admin_license" else rnd.choice(
                    ["negative", "negative", "negative", "positive"]),
                severity=None if positive else rnd.choice(["minor", "general", "serious", None]),
                status=rnd.choice(["publicizing"] * 5 + ["objected", "repaired", "revoked", "corrected", "expired"]),
                decided=date(2025, 1, 1) + timedelta(days=rnd.randrange(0, 700)),
                min_days=rnd.choice([None, 90, 365]),
                max_days=None if positive and rnd.random() < 0.8 else rnd.choice([None, 90, 365, 1095]),
                is_current=rnd.random() > 0.1,
            )
        for _ in range(rnd.choice([0, 0, 0, 1, 2])):
            listing(
                db, subj, rnd.choice(["red", "watch", "serious", "ban"]),
                status=rnd.choice(["active", "active", "removed", "expired"]),
                listed=date(2025, 1, 1) + timedelta(days=rnd.randrange(0, 600)),
                expires=rnd.choice([None, date(2026, 6, 1), date(2027, 1, 1)]),
            )
        for _ in range(rnd.choice([0, 0, 1, 3, 12])):  # 12 kept ones reach the dimension's cap
            signed = date(2023, 1, 1) + timedelta(days=rnd.randrange(0, 1200))
            commitment(db, subj, status=rnd.choice(["kept", "kept", "active", "breached", "withdrawn"]),
                       signed=signed, closed=signed + timedelta(days=rnd.randrange(0, 400)))
    db.flush()
    return ids


def engine_scores(db, ids: list[int], as_of: date) -> dict[int, tuple[int, str]]:
    facts = load_facts(db, ids)
    kinds = {e.subject_id: e.kind for e in db.execute(select(Evaluation).where(Evaluation.subject_id.in_(ids))).scalars()}
    out = {}
    for sid in ids:
        r = evaluate(rules_for(kinds[sid], as_of), facts.records[sid], facts.lists[sid], as_of, facts.commitments[sid])
        out[sid] = (r.score, r.grade)
    return out


def stored_scores(db, ids: list[int]) -> dict[int, tuple[int, str]]:
    db.expire_all()
    rows = db.execute(select(Evaluation).where(Evaluation.subject_id.in_(ids))).scalars()
    return {e.subject_id: (e.score, e.grade) for e in rows}


@pytest.mark.parametrize("as_of", [date(2025, 6, 1), date(2026, 5, 1), date(2026, 12, 31), date(2027, 9, 1)])
def test_batch_and_engine_give_the_same_score_and_grade(db, as_of):
    ids = varied_subjects(db)
    report = recompute_everything(db, as_of)
    assert report.method == ("sql" if db.get_bind().dialect.name == "postgresql" else "python")
    stored = stored_scores(db, ids)
    assert stored == engine_scores(db, ids, as_of)
    # The varied set really is varied: several grades and bands, forced D, scores off the base.
    assert len({g for _, g in stored.values()}) >= 4
    assert len({s for s, _ in stored.values()}) >= 10
    # Kept commitments are part of it: some subjects score on them (within their 3 years), on both paths.
    counted = [sid for sid in ids if any(
        i.kind == "commitment" for i in get_evaluation(db, sid, as_of).items)]
    assert counted


@needs_postgres("the set-based SQL recompute is PostgreSQL SQL (SQLite uses the Python path, tested above)")
def test_sql_and_python_paths_agree_on_postgresql(db):
    ids = varied_subjects(db, n=80, seed=11)
    recompute_everything(db, date(2026, 8, 15), method="sql")
    by_sql = stored_scores(db, ids)
    db.execute(Evaluation.__table__.delete().where(Evaluation.subject_id.in_(ids)))
    recompute_everything(db, date(2026, 8, 15), method="python")
    assert stored_scores(db, ids) == by_sql


def test_batch_writes_history_for_grade_changes_only_and_leaves_explanations_stale(db):
    firm = subject(db, "firm")
    steady = subject(db, "firm")
    for s in (firm, steady):
        evaluate_subject(db, s.id, date(2026, 5, 1))
    listing(db, firm, "ban", listed=date(2026, 5, 1))
    report = recompute_everything(db, date(2026, 5, 2))
    assert report.grade_changes >= 1
    [change] = db.execute(select(EvaluationHistory).where(EvaluationHistory.subject_id == firm.id)).scalars()
    assert (change.old_grade, change.new_grade, change.cause) == ("B", "D", "batch:2026-05-02")
    assert db.execute(select(func.count()).select_from(EvaluationHistory)
                      .where(EvaluationHistory.subject_id == steady.id)).scalar() == 0
    row = db.get(Evaluation, firm.id)
    db.refresh(row)
    if report.method == "sql":
        assert row.explanation is None  # rebuilt lazily on first read
    result = get_evaluation(db, firm.id, date(2026, 5, 2))
    assert result.grade == "D" and any(i.kind == "ban" for i in result.items)


def test_second_run_rewrites_nothing_that_did_not_change(db):
    varied_subjects(db, n=20, seed=3)
    recompute_everything(db, date(2026, 5, 1))
    again = recompute_everything(db, date(2026, 5, 1))
    assert (again.written, again.grade_changes) == (0, 0)
    assert again.total >= 20


def test_cli_recompute_and_its_bad_input(app, db):
    ids = varied_subjects(db, n=6, seed=5)
    db.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["credit", "recompute", "--as-of", "2026-05-01"])
    assert out.exit_code == 0, out.output
    assert "rescored" in out.output
    assert set(stored_scores(db, ids)) == set(ids)
    bad = runner.invoke(args=["credit", "recompute", "--as-of", "2026-13-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    explained = runner.invoke(args=["credit", "explain", str(ids[0]), "--as-of", "2026-05-01"])
    assert explained.exit_code == 0 and ("firm_v1" in explained.output or "person_v1" in explained.output)
    missing = runner.invoke(args=["credit", "explain", "99999999"])
    assert missing.exit_code == 1 and "没有找到" in missing.output


@pytest.mark.parametrize("as_of", [date(2026, 12, 1), date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 2),
                                   date(2027, 6, 1)])
def test_records_across_the_2026_switch_agree_in_sql_engine_card_and_expiry(db, as_of):
    """Issue 9 item 2 (从旧兼从轻): a 一般 penalty decided 2026-03-31 ends its publicity no later than
    one decided 2026-04-01 (12 months under 国家发展改革委令2025年第36号, not Order 58's 36) — and the
    expiry job, the card's evaluation, the engine and the set-based recompute all see the same end."""
    from backend.cards.evaluation import evaluation_from_rows
    from backend.common.actor import Actor
    from backend.evaluation.services import today_cn
    from backend.records.models import CreditRecord, RecordStatus
    from backend.records.services import expire_due_records, submit_record
    from backend.staff.models import Role
    from tests.factories import make_department, make_staff
    from tests.factories.cards import firm as make_firm

    dept = make_department(db, name="淮安区城市管理局（测试）", short_name="区城管局", record_kinds=["admin_penalty"])
    user = make_staff(db, Role.DEPT_REVIEWER, dept)
    actor = Actor("staff", user.id, role=str(Role.DEPT_REVIEWER), department_id=dept.id)
    firms, recs = [], []
    for n, (decided, severity, submitted) in enumerate([
        ("2026-03-31", "一般", date(2026, 12, 1)),  # submitted now: favourable window at once
        ("2026-04-01", "一般", date(2026, 12, 1)),
        ("2026-03-31", "一般", date(2026, 3, 31)),  # submitted before the switch: the job brings it over
        ("2026-03-31", "严重", date(2026, 3, 31)),
    ]):
        f = make_firm(db)
        firms.append(f.id)
        recs.append(submit_record(db, actor, {"subject_code": f.uscc, "kind": "行政处罚", "severity": severity,
                                              "decision_no": f"淮区罚〔2026〕5{n}号", "decision_date": decided,
                                              "title": "违法行为"}, today=submitted))
    assert recs[2].publicity_max_end == date(2029, 3, 31)  # stored under Order 58 before the job ran
    expire_due_records(db, today=max(as_of, date(2026, 12, 1)))
    for r in recs:
        db.refresh(r)
    assert recs[0].publicity_max_end == recs[2].publicity_max_end == date(2027, 3, 31)
    assert recs[0].publicity_max_end <= recs[1].publicity_max_end == date(2027, 4, 1)
    assert (recs[3].publicity_min_end, recs[3].publicity_max_end) == (date(2026, 6, 30), date(2029, 3, 31))
    expired = [r.status == RecordStatus.EXPIRED for r in recs[:3]]
    assert expired == [as_of > date(2027, 3, 31), as_of > date(2027, 4, 1), as_of > date(2027, 3, 31)]

    recompute_everything(db, as_of)
    stored = stored_scores(db, firms)
    assert stored == engine_scores(db, firms, as_of)
    # the 03-31 record never counts longer than the 04-01 one
    assert stored[firms[0]] == stored[firms[2]]
    if as_of == date(2027, 4, 1):  # the 03-31 record is gone, the 04-01 one still counts
        assert stored[firms[0]][0] > stored[firms[1]][0]
    # the card computes its grade (for today) from the same stored windows
    if as_of == today_cn():
        for fid in firms:
            rows = db.execute(select(CreditRecord).where(CreditRecord.subject_id == fid)).scalars().all()
            card = evaluation_from_rows("firm", rows, [], [])
            assert (card["score"], card["grade"]) == stored[fid]

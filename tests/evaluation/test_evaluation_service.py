"""Evaluating a stored subject: upsert, grade history, stale explanations, recompute after commit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.common.models import AuditEntry
from backend.evaluation.models import Evaluation, EvaluationHistory
from backend.evaluation.services import evaluate_subject, get_evaluation, grade_history
from backend.platform.errors import NotFound
from backend.subjects.changes import subject_changed
from tests.factories.evaluation import listing, record, subject

AS_OF = date(2026, 5, 1)


def test_evaluate_subject_stores_score_grade_and_explanation(db):
    firm = subject(db, "firm")
    rec = record(db, firm, severity="serious", title="超范围经营")
    result = evaluate_subject(db, firm.id, AS_OF, cause="test")
    row = db.get(Evaluation, firm.id)
    assert (row.score, row.grade, row.kind, row.rules_version, row.as_of) == (result.score, "C", "firm", "firm_v1", AS_OF)
    assert row.explanation["items"][0]["record_id"] == rec.id
    assert row.explanation["items"][0]["title"] == "超范围经营"
    assert db.execute(select(EvaluationHistory)).scalars().all() == []  # a first grade is not a change


def test_grade_change_is_kept_as_history_and_audited_but_score_ticks_are_not(db):
    firm = subject(db, "firm")
    evaluate_subject(db, firm.id, AS_OF)  # B, 800
    rec = record(db, firm, severity="minor", decided=AS_OF, max_days=90)
    evaluate_subject(db, firm.id, AS_OF)  # 790: still B
    assert grade_history(db, firm.id) == []
    listing(db, firm, "serious", listed=AS_OF)
    evaluate_subject(db, firm.id, AS_OF, cause="list.add")
    [change] = grade_history(db, firm.id)
    assert (change.old_grade, change.new_grade, change.old_score, change.cause) == ("B", "D", 790, "list.add")
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "evaluation.grade_change")
                       .order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.target_id == str(firm.id) and entry.details["new_grade"] == "D"
    assert rec.id  # the record is still there; only its effect on the grade is history


def test_person_band_is_stored_with_its_key(db):
    person = subject(db, "person")
    record(db, person, kind="honour", polarity="positive", severity=None, max_days=None)
    result = evaluate_subject(db, person.id, AS_OF)
    assert (result.score, result.grade, result.grade_label) == (690, "good", "良好")
    assert db.get(Evaluation, person.id).grade == "good"


def test_unknown_subject_is_not_found(db):
    with pytest.raises(NotFound) as err:
        evaluate_subject(db, 987654321, AS_OF)
    assert err.value.reason == "subject_not_found"


def test_get_evaluation_rebuilds_a_stale_explanation(db):
    firm = subject(db, "firm")
    record(db, firm, decided=AS_OF)
    evaluate_subject(db, firm.id, AS_OF)
    row = db.get(Evaluation, firm.id)
    row.explanation = None  # what the batch leaves behind
    db.flush()
    result = get_evaluation(db, firm.id, AS_OF)
    assert result.score == 760 and result.items[0].points == -40
    assert db.get(Evaluation, firm.id).explanation is not None
    # Another day: decay moved the score, so the stored one is recomputed, not served stale.
    later = get_evaluation(db, firm.id, date(2026, 10, 1))
    assert later.score > 760 and later.as_of == date(2026, 10, 1)


def test_a_change_is_rescored_only_after_commit(app, db):
    firm = subject(db, "firm")
    record(db, firm, severity="serious")
    db.flush()
    subject_changed(db, [firm.id, firm.id], "test: record")  # the app's listener enqueues the rescoring
    assert db.get(Evaluation, firm.id) is None  # nothing before commit
    db.commit()  # the test's outer transaction still rolls everything back afterwards
    row = db.execute(select(Evaluation).where(Evaluation.subject_id == firm.id)).scalar_one()
    db.refresh(row)
    assert row.grade == "C" and row.explanation is not None


def test_a_rolled_back_change_is_not_rescored(app, db):
    firm = subject(db, "firm")
    db.commit()
    record(db, firm, severity="serious")  # a change that is then abandoned
    subject_changed(db, [firm.id], "test: abandoned")
    db.rollback()
    db.commit()
    assert db.get(Evaluation, firm.id) is None


def test_recompute_job_skips_a_vanished_subject_and_scores_the_rest(app, db):
    from backend.evaluation.tasks import recompute_subjects

    firm = subject(db, "firm")
    record(db, firm, kind="judgment_defaulter", severity=None, decided=AS_OF)
    db.commit()
    assert recompute_subjects([firm.id, 987654321], "test") == 1
    row = db.execute(select(Evaluation).where(Evaluation.subject_id == firm.id)).scalar_one()
    assert row.grade in {"C", "D"} and row.explanation["items"][0]["label"] == "失信被执行人"

"""Credit record services: submission, correction with history, status changes, expiry."""

from datetime import date

import pytest
from sqlalchemy import select

from backend.calendar.workdays import add_working_days
from backend.common.actor import Actor
from backend.common.models import AuditEntry
from backend.platform.errors import DomainError
from backend.records.models import CreditRecord, Polarity, RecordEvent, RecordKind, RecordStatus, Severity
from backend.records.services import (
    change_status,
    expire_due_records,
    list_subject_records,
    record_history,
    submit_record,
    supersede_record,
)
from backend.staff.models import Role
from tests.factories import make_department, make_firm, make_person, make_staff

TODAY = date(2026, 11, 27)
KINDS = ["admin_penalty", "admin_license", "admin_inspection", "admin_reward"]


@pytest.fixture
def dept(db):
    return make_department(db, record_kinds=KINDS, short_name="区市场监管局")


@pytest.fixture
def reviewer(db, dept):
    user = make_staff(db, Role.DEPT_REVIEWER, dept)
    return Actor("staff", user.id, role=str(Role.DEPT_REVIEWER), department_id=dept.id)


@pytest.fixture
def firm(db):
    return make_firm(db)


def penalty(firm, **over):
    row = {"subject_code": firm.uscc, "kind": "admin_penalty", "severity": "general",
           "decision_no": "淮区市监罚〔2026〕12号", "decision_date": "2026-11-02", "title": "未按规定公示年度报告",
           "summary": "罚款一千元", "legal_basis": "《企业信息公示暂行条例》第十八条", "amount_yuan": "1000"}
    row.update(over)
    return row


def refusal(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kw)
    return info.value


def test_submit_penalty_computes_window_and_deadline(db, reviewer, firm, dept):
    rec = submit_record(db, reviewer, penalty(firm), today=TODAY)
    assert rec.id and rec.is_current and rec.version == 1
    assert (rec.kind, rec.severity, rec.polarity) == (RecordKind.ADMIN_PENALTY, Severity.GENERAL, Polarity.NEGATIVE)
    assert rec.department_id == dept.id and rec.subject_id == firm.id
    assert (rec.publicity_start, rec.publicity_min_end, rec.publicity_max_end) == (
        date(2026, 11, 2), date(2027, 2, 2), date(2027, 11, 2))
    # The department is 区市场监管局: since issue 9 item 3 its records follow 总局令第107号 (一般: 3–12
    # months, the same dates as the general 2026 rules) instead of the general rule set.
    assert rec.rule_version == "samr-order107-2025"
    assert rec.publish_deadline == add_working_days(db, date(2026, 11, 2), 7) == date(2026, 11, 11)
    assert rec.published_late is True  # submitted on 11-27, deadline 11-11
    assert rec.amount_yuan == 1000 and rec.status == RecordStatus.PUBLICIZING
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "record.create")).scalar_one()
    assert entry.target_id == str(rec.id)


def test_deadline_skips_national_day_holidays(db, reviewer, firm):
    rec = submit_record(db, reviewer, penalty(firm, decision_date="2026-09-30"), today=date(2026, 10, 9))
    assert rec.publish_deadline == add_working_days(db, date(2026, 9, 30), 7)
    assert rec.publish_deadline > date(2026, 10, 9)  # 8 weekdays would end on 10-09: holidays push it later
    assert rec.published_late is False


def test_chinese_labels_and_person_subject(db, reviewer):
    person = make_person(db, name="李四")
    rec = submit_record(db, reviewer, {
        "主体代码": person.id_number.lower(), "信息类别": "行政处罚", "严重程度": "严重",
        "决定文书号": "淮区市监罚〔2026〕3号", "决定日期": "2026年5月6日", "标题": "无证经营",
    }, today=TODAY)
    assert rec.subject_id == person.id and rec.severity == Severity.SERIOUS
    assert rec.publicity_max_end == date(2029, 5, 6)
    details = db.execute(select(AuditEntry.details).where(AuditEntry.action == "record.create")).scalar_one()
    assert person.id_number not in str(details) and "李四" not in str(details)


def test_neutral_kind_ignores_severity_and_has_no_end(db, reviewer, firm):
    rec = submit_record(db, reviewer, penalty(firm, kind="行政许可", severity="严重", decision_no="许可1"), today=TODAY)
    assert rec.polarity == Polarity.NEUTRAL and rec.severity is None
    assert rec.publicity_max_end is None and rec.publicity_min_end is None


def test_inspection_that_found_problems_is_negative(db, reviewer, firm):
    ok = submit_record(db, reviewer, penalty(firm, kind="行政监督检查", severity=None, decision_no="检1",
                                             result="未发现问题"), today=TODAY)
    assert ok.polarity == Polarity.NEUTRAL
    err = refusal(submit_record, db, reviewer, penalty(firm, kind="行政监督检查", severity=None, decision_no="检2",
                                                     result="不合格"), today=TODAY)
    assert err.reason == "severity_required"
    bad = submit_record(db, reviewer, penalty(firm, kind="行政监督检查", severity="轻微", decision_no="检2",
                                              result="不合格，责令整改"), today=TODAY)
    assert bad.polarity == Polarity.NEGATIVE and bad.publicity_max_end == date(2027, 2, 2)


@pytest.mark.parametrize(
    ("over", "reason", "field"),
    [
        ({"subject_code": "91320803MA1XXXXX00"}, "uscc_org_code", "subject_code"),
        ({"subject_code": "914403001922038217"}, "uscc_check_digit", "subject_code"),
        ({"subject_code": "914403001922038216"}, "subject_unknown", "subject_code"),
        ({"subject_code": ""}, "uscc_empty", "subject_code"),
        ({"kind": "罚单"}, "kind_invalid", "kind"),
        ({"kind": None}, "kind_required", "kind"),
        ({"kind": "行政给付"}, "kind_out_of_scope", "kind"),
        ({"severity": None}, "severity_required", "severity"),
        ({"severity": "很严重"}, "severity_invalid", "severity"),
        ({"decision_no": "  "}, "decision_no_required", "decision_no"),
        ({"decision_no": "号" * 101}, "decision_no_too_long", "decision_no"),
        ({"decision_date": "2026-11-28"}, "decision_date_future", "decision_date"),
        ({"decision_date": "1999-12-31"}, "decision_date_too_old", "decision_date"),
        ({"decision_date": "2026-02-30"}, "decision_date_invalid", "decision_date"),
        ({"decision_date": "去年"}, "decision_date_invalid", "decision_date"),
        ({"title": None}, "title_required", "title"),
        ({"amount_yuan": "12.5"}, "amount_not_whole", "amount_yuan"),
        ({"amount_yuan": "-3"}, "amount_invalid", "amount_yuan"),
        ({"amount_yuan": "一千"}, "amount_invalid", "amount_yuan"),
        ({"domain": "很长的领域名称" * 4}, "domain_too_long", "domain"),
        ({"title": {"x": 1}}, "title_invalid", "title"),
        ({"title": "a\x00b"}, "title_invalid", "title"),
    ],
)
def test_bad_records_are_refused_with_reason(db, reviewer, firm, over, reason, field):
    err = refusal(submit_record, db, reviewer, penalty(firm, **over), today=TODAY)
    assert (err.status, err.reason) == (422, reason)
    assert field in err.errors and err.message


def test_duplicate_current_decision_is_refused(db, reviewer, firm):
    submit_record(db, reviewer, penalty(firm), today=TODAY)
    err = refusal(submit_record, db, reviewer, penalty(firm, title="重复"), today=TODAY)
    assert (err.status, err.reason) == (409, "duplicate_record")
    other = make_firm(db)  # the same decision for another subject is a separate record
    assert submit_record(db, reviewer, penalty(other), today=TODAY).subject_id == other.id


def test_department_scope(db, reviewer, firm, dept):
    court = make_department(db, "court", record_kinds=["judgment_defaulter"])
    err = refusal(submit_record, db, reviewer, penalty(firm, department_code=court.code), today=TODAY)
    assert (err.status, err.reason) == (403, "department_forbidden")
    admin_user = make_staff(db, Role.CREDIT_ADMIN)
    admin = Actor("staff", admin_user.id, role="credit_admin", department_id=admin_user.department_id)
    rec = submit_record(db, admin, penalty(firm, kind="失信被执行人", severity=None, department_code=court.code),
                        today=TODAY)
    assert rec.department_id == court.id and rec.severity == Severity.SERIOUS
    assert (rec.publicity_max_end, rec.rule_version) == (None, "court-rules")
    err = refusal(submit_record, db, admin, penalty(firm, department_code=court.code, decision_no="x"), today=TODAY)
    assert err.reason == "kind_out_of_scope"
    err = refusal(submit_record, db, admin, penalty(firm, department_code="NOPE"), today=TODAY)
    assert err.reason == "department_unknown"


def test_auditor_may_not_submit(db, firm):
    user = make_staff(db, Role.AUDITOR)
    err = refusal(submit_record, db, Actor("staff", user.id, role="auditor", department_id=user.department_id),
                  penalty(firm), today=TODAY)
    assert (err.status, err.reason) == (403, "role_forbidden")


def test_supersede_keeps_history(db, reviewer, firm):
    old = submit_record(db, reviewer, penalty(firm), today=TODAY)
    new = supersede_record(db, reviewer, old.id, {"severity": "严重", "title": "更正后的标题"}, "严重程度认定有误",
                           today=TODAY)
    assert (new.version, new.supersedes_id, new.is_current) == (2, old.id, True)
    assert new.severity == Severity.SERIOUS and new.publicity_max_end == date(2029, 11, 2)
    assert new.decision_no == old.decision_no and new.published_late == old.published_late
    db.refresh(old)
    assert (old.is_current, old.status) == (False, RecordStatus.CORRECTED)
    assert old.superseded_at is not None
    assert [r.id for r in record_history(db, old.id)] == [old.id, new.id]
    assert [r.id for r in record_history(db, new.id)] == [old.id, new.id]
    event = db.execute(select(RecordEvent).where(RecordEvent.record_id == old.id)).scalar_one()
    assert (event.from_status, event.to_status, event.note) == ("publicizing", "corrected", "严重程度认定有误")
    assert [r.id for r in list_subject_records(db, firm.id)] == [new.id]
    assert {r.id for r in list_subject_records(db, firm.id, include_history=True)} == {old.id, new.id}
    assert db.get(CreditRecord, old.id) is not None  # never deleted
    audit_row = db.execute(select(AuditEntry).where(AuditEntry.action == "record.supersede")).scalar_one()
    assert audit_row.details["supersedes_id"] == old.id and "severity" in audit_row.details["fields"]


def test_supersede_refusals(db, reviewer, firm):
    old = submit_record(db, reviewer, penalty(firm), today=TODAY)
    assert refusal(supersede_record, db, reviewer, old.id, {"title": "x"}, " ", today=TODAY).reason == "reason_required"
    assert refusal(supersede_record, db, reviewer, old.id, {}, "原因", today=TODAY).reason == "no_changes"
    assert refusal(supersede_record, db, reviewer, old.id, {"title": old.title}, "原因", today=TODAY).reason == "no_changes"
    assert refusal(supersede_record, db, reviewer, old.id, {"kind": "行政给付"}, "原因", today=TODAY).reason == "kind_out_of_scope"
    assert refusal(supersede_record, db, reviewer, 999999, {"title": "x"}, "原因", today=TODAY).status == 404
    supersede_record(db, reviewer, old.id, {"title": "新"}, "原因", today=TODAY)
    assert refusal(supersede_record, db, reviewer, old.id, {"title": "再"}, "原因", today=TODAY).reason == "record_not_current"
    other_dept = make_department(db, record_kinds=KINDS)
    stranger = Actor("staff", reviewer.id, role="dept_reviewer", department_id=other_dept.id)
    current = list_subject_records(db, firm.id)[0]
    assert refusal(supersede_record, db, stranger, current.id, {"title": "x"}, "原因", today=TODAY).status == 404


def test_supersede_can_move_a_record_to_the_right_subject(db, reviewer, firm):
    old = submit_record(db, reviewer, penalty(firm), today=TODAY)
    right = make_firm(db)
    new = supersede_record(db, reviewer, old.id, {"subject_code": right.uscc}, "主体填错", today=TODAY)
    assert new.subject_id == right.id
    assert list_subject_records(db, firm.id) == []


def test_change_status_writes_events(db, reviewer, firm):
    rec = submit_record(db, reviewer, penalty(firm), today=TODAY)
    change_status(db, reviewer, rec, RecordStatus.OBJECTED, "主体提出异议")
    change_status(db, reviewer, rec, "publicizing", "异议不成立")
    err = refusal(change_status, db, reviewer, rec, RecordStatus.CORRECTED, "x")
    assert (err.status, err.reason) == (409, "status_transition_invalid")
    change_status(db, reviewer, rec, RecordStatus.REPAIRED, "信用修复")
    assert refusal(change_status, db, reviewer, rec, RecordStatus.PUBLICIZING).reason == "status_transition_invalid"
    events = db.execute(select(RecordEvent.to_status).where(RecordEvent.record_id == rec.id)
                        .order_by(RecordEvent.id)).scalars().all()
    assert events == ["objected", "publicizing", "repaired"]
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "record.status")).scalars().all()


def test_expire_due_records(db, reviewer, firm):
    due = submit_record(db, reviewer, penalty(firm, decision_no="A", decision_date="2026-04-02",
                                              severity="轻微"), today=date(2026, 4, 3))
    objected = submit_record(db, reviewer, penalty(firm, decision_no="B", decision_date="2026-04-02",
                                                   severity="轻微"), today=date(2026, 4, 3))
    change_status(db, reviewer, objected, RecordStatus.OBJECTED, "异议")
    running = submit_record(db, reviewer, penalty(firm, decision_no="C", decision_date="2026-04-02"),
                            today=date(2026, 4, 3))
    licence = submit_record(db, reviewer, penalty(firm, decision_no="D", kind="行政许可", decision_date="2020-01-02"),
                            today=date(2026, 4, 3))
    assert due.publicity_max_end == date(2026, 7, 2)
    assert expire_due_records(db, date(2026, 7, 2)) == 0  # still public on its last day
    assert expire_due_records(db, date(2026, 7, 3)) == 1
    assert due.status == RecordStatus.EXPIRED
    assert (objected.status, running.status, licence.status) == (
        RecordStatus.OBJECTED, RecordStatus.PUBLICIZING, RecordStatus.PUBLICIZING)
    event = db.execute(select(RecordEvent).where(RecordEvent.record_id == due.id)).scalar_one()
    assert (event.from_status, event.to_status, event.actor) == ("publicizing", "expired", "system")
    assert expire_due_records(db, date(2026, 7, 3)) == 0


def test_decision_older_than_its_maximum_is_stored_as_expired(db, reviewer, firm):
    rec = submit_record(db, reviewer, penalty(firm, decision_date="2021-03-01"), today=TODAY)
    # Decided under Order 58, compared with 107号 in force today (从旧兼从轻, issue 9 item 2).
    assert rec.status == RecordStatus.EXPIRED and rec.rule_version == "ndrc-order58-2023>samr-order107-2025"
    # 12 months under 107号 (一般), earlier than Order 58's 36: the favourable end (was 2024-03-01).
    assert rec.publicity_max_end == date(2022, 3, 1)


def test_expiry_job_commits_its_own_session(db, reviewer, firm):
    from backend.records.tasks import expire_records

    rec = submit_record(db, reviewer, penalty(firm, decision_date="2025-06-01", severity="轻微"),
                        today=date(2025, 6, 2))
    db.flush()
    assert rec.status == RecordStatus.PUBLICIZING  # Order 58: three years, so not yet due…
    rec.publicity_max_end = date(2025, 9, 1)  # …unless its maximum has passed
    db.flush()
    assert expire_records() >= 1
    db.refresh(rec)
    assert rec.status == RecordStatus.EXPIRED


def test_racing_duplicate_is_a_conflict_and_the_transaction_survives(db, reviewer, firm):
    """Two requests that both passed the duplicate check: the unique index refuses the second."""
    from backend.records.services import insert_current

    first = submit_record(db, reviewer, penalty(firm), today=TODAY)
    twin = CreditRecord(**{c.key: getattr(first, c.key) for c in CreditRecord.__table__.columns if c.key != "id"})
    err = refusal(insert_current, db, twin)
    assert (err.status, err.reason) == (409, "duplicate_record")
    assert db.get(CreditRecord, first.id).is_current  # the savepoint rolled back; the session still works
    assert submit_record(db, reviewer, penalty(firm, decision_no="另一份"), today=TODAY).id

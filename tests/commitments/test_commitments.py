"""信用承诺: staff register and close commitments; the card shows the active ones and a kept one
adds to the grade, on the next read, through the same rule on every path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from backend.commitments.models import Commitment, CommitmentStatus
from backend.common.clock import china_today
from backend.common.ids import make_uscc
from backend.evaluation.models import Evaluation
from backend.staff.models import Role
from tests.backends import needs_postgres
from tests.factories import make_firm, make_person, make_staff, seeded_department, staff_headers
from tests.factories.cards import approve_agent, bound_account, headers

TODAY = china_today()
URL = "/staff/v1/commitments"


@pytest.fixture
def firm(db):
    f = make_firm(db, name="淮安区守信餐饮有限公司")
    db.commit()
    return f


def _staff(app, db, role, dept_code):
    user = make_staff(db, role, seeded_department(db, dept_code))
    db.commit()
    return staff_headers(app, user)


@pytest.fixture
def scjg(app, db):
    return _staff(app, db, Role.DEPT_REVIEWER, "SCJG")


@pytest.fixture
def admin(app, db):
    return _staff(app, db, Role.CREDIT_ADMIN, "FGW")


def commitment(code, **over):
    body = {"subject_code": code, "type": "disclosure", "matter": "守法诚信经营承诺（主动公示）",
            "content": "本企业承诺依法诚信经营，自觉接受社会监督。", "signed_on": (TODAY - timedelta(days=30)).isoformat(),
            "valid_until": (TODAY + timedelta(days=335)).isoformat(), "document_no": "淮区信诺〔2026〕1号"}
    body.update(over)
    return body


def public_card(client, uscc):
    resp = client.get(f"/public/v1/firms/{uscc}/card")
    assert resp.status_code == 200, resp.json
    return resp.json


def register(client, hdrs, code, **over):
    resp = client.post(URL, json=commitment(code, **over), headers=hdrs)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_a_registered_commitment_is_on_the_card_and_keeping_it_raises_the_score(client, db, firm, scjg, admin):
    before = public_card(client, firm.uscc)
    assert before["commitments"] == [] and before["evaluation"]["grade"] == "B"
    created = register(client, scjg, " " + firm.uscc.lower() + " ")  # typed in lower case, with spaces
    assert created["status"] == "active" and created["status_label"] == "履约中"
    assert created["department"]["code"] == "SCJG" and created["subject"]["code"] == firm.uscc

    shown = public_card(client, firm.uscc)
    assert [c["matter"] for c in shown["commitments"]] == ["守法诚信经营承诺（主动公示）"]
    assert shown["commitments"][0]["type_label"] == "主动公示型承诺"
    score_before = db.get(Evaluation, firm.id).score

    resp = client.post(f"{URL}/{created['id']}/close", json={"outcome": "kept", "note": "期满核查未发现违诺"},
                       headers=scjg)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "kept" and resp.json["closed_on"] == TODAY.isoformat()

    after = public_card(client, firm.uscc)
    assert after["commitments"] == []  # no longer active
    [reason] = [r for r in after["evaluation"]["reasons"] if r["kind"] == "commitment"]
    assert (reason["label"], reason["points"], reason["title"]) == ("履行信用承诺", 5, "守法诚信经营承诺（主动公示）")
    db.expire_all()
    assert db.get(Evaluation, firm.id).score == score_before + 5  # the stored evaluation follows (recompute job)


def test_a_commitment_past_its_term_and_not_yet_closed_awaits_verification(app, client, db, firm, scjg):
    account, rep = bound_account(db)
    approve_agent(db, firm, account, rep)
    db.commit()
    register(client, scjg, firm.uscc, signed_on=(TODAY - timedelta(days=400)).isoformat(),
             valid_until=(TODAY - timedelta(days=35)).isoformat())
    [shown] = client.get(f"/miniapp/v1/firms/{firm.uscc}/card", headers=headers(app, account)).json["commitments"]
    assert (shown["status"], shown["status_label"]) == ("active", "期满待核查")  # due for the department's check
    register(client, scjg, firm.uscc, document_no="淮区信诺〔2026〕2号")  # within its term
    due = client.get(URL, query_string={"lapsed": "true"}, headers=scjg).json  # the department's queue
    assert due["total"] == 1 and due["items"][0]["status_label"] == "期满待核查"
    assert client.get(URL, query_string={"lapsed": "false"}, headers=scjg).json["items"][0]["status_label"] == "履约中"


def test_non_public_types_show_to_the_firm_but_not_to_the_public(app, client, db, firm, scjg):
    account, rep = bound_account(db)
    approve_agent(db, firm, account, rep)
    db.commit()
    register(client, scjg, firm.uscc, type="certification", matter="食品经营许可证明事项告知承诺")
    assert public_card(client, firm.uscc)["commitments"] == []
    own = client.get(f"/miniapp/v1/firms/{firm.uscc}/card", headers=headers(app, account))
    assert own.status_code == 200, own.json
    [c] = own.json["commitments"]
    assert (c["type"], c["type_label"], c["status"], c["department"]) == (
        "certification", "证明事项告知承诺", "active", "区市场监管局")


def test_a_persons_commitment_is_on_their_own_card(app, client, db, admin):
    account, me = bound_account(db)
    db.commit()
    register(client, admin, me.id_number, type="certification", matter="就业困难人员认定证明事项告知承诺",
             department_code="rsj")
    resp = client.get("/miniapp/v1/me/card", headers=headers(app, account))
    assert resp.status_code == 200
    assert [c["matter"] for c in resp.json["commitments"]] == ["就业困难人员认定证明事项告知承诺"]


@pytest.mark.parametrize(("over", "reason"), [
    ({"subject_code": make_uscc("91", "320803", "MA999999")}, "subject_unknown"),
    ({"subject_code": make_uscc("91", "320803", "MA999999")[:-1] + "0"}, "uscc_check_digit"),  # mistyped
    ({"signed_on": (TODAY + timedelta(days=1)).isoformat()}, "signed_on_future"),
    ({"valid_until": (TODAY - timedelta(days=60)).isoformat()}, "valid_until_before_signed"),
    ({"matter": "  "}, "matter_required"),
    ({"matter": "承" * 201}, "matter_too_long"),
    ({"content": "诺" * 5001}, "content_too_long"),
])
def test_mistakes_in_a_registration_are_422_with_a_reason_and_nothing_is_stored(client, db, firm, scjg, over,
                                                                                reason):
    resp = client.post(URL, json=commitment(firm.uscc, **over), headers=scjg)
    assert resp.status_code == 422, resp.json
    assert resp.json["reason"] == reason and resp.json["message"]
    assert db.query(Commitment).count() == 0


def test_unknown_type_and_outcome_are_422(client, firm, scjg):
    resp = client.post(URL, json=commitment(firm.uscc, type="promise"), headers=scjg)
    assert resp.status_code == 422 and "type" in resp.json["errors"]
    created = register(client, scjg, firm.uscc)
    resp = client.post(f"{URL}/{created['id']}/close", json={"outcome": "active", "note": "x"}, headers=scjg)
    assert resp.status_code == 422 and "outcome" in resp.json["errors"]


def test_the_same_commitment_letter_is_registered_once(client, firm, scjg):
    first = register(client, scjg, firm.uscc)
    again = client.post(URL, json=commitment(firm.uscc), headers=scjg)
    assert again.status_code == 409 and again.json["reason"] == "commitment_exists"
    assert client.get(URL, headers=scjg).json["total"] == 1
    client.post(f"{URL}/{first['id']}/close", json={"outcome": "withdrawn", "note": "登记有误"}, headers=scjg)
    assert register(client, scjg, firm.uscc)["status"] == "active"  # registered again, correctly this time


def test_closing_twice_is_a_conflict_and_the_first_outcome_stands(client, firm, scjg):
    created = register(client, scjg, firm.uscc)
    first = client.post(f"{URL}/{created['id']}/close", json={"outcome": "withdrawn", "note": "登记有误"}, headers=scjg)
    assert first.status_code == 200 and first.json["status_label"] == "已撤销"
    again = client.post(f"{URL}/{created['id']}/close", json={"outcome": "kept", "note": "核查"}, headers=scjg)
    assert again.status_code == 409 and again.json["reason"] == "commitment_not_active"
    assert "已撤销" in again.json["message"]
    assert client.get(f"{URL}/{created['id']}", headers=scjg).json["status"] == "withdrawn"


def test_a_breach_links_only_a_breach_record_of_the_same_subject(client, db, firm, scjg):
    created = register(client, scjg, firm.uscc)
    other = make_firm(db)
    db.commit()

    def record(code, kind, n):
        resp = client.post("/staff/v1/records", headers=scjg, json={
            "subject_code": code, "kind": kind, "decision_no": f"淮区市监诺〔2026〕{n}号",
            "decision_date": (TODAY - timedelta(days=2)).isoformat(), "title": "违背主动公示承诺",
            "severity": "一般"})
        assert resp.status_code == 201, resp.json
        return resp.json["id"]

    for bad in (record(firm.uscc, "行政处罚", 1), record(other.uscc, "违背信用承诺", 2)):
        resp = client.post(f"{URL}/{created['id']}/close", headers=scjg,
                           json={"outcome": "breached", "note": "经核查违诺", "breach_record_id": bad})
        assert resp.status_code == 422 and resp.json["reason"] == "breach_record_invalid"
    good = record(firm.uscc, "违背信用承诺", 3)
    resp = client.post(f"{URL}/{created['id']}/close", headers=scjg,
                       json={"outcome": "breached", "note": "经核查违诺", "breach_record_id": good})
    assert resp.status_code == 200, resp.json
    assert (resp.json["status_label"], resp.json["breach_record_id"]) == ("已违诺", good)
    reasons = public_card(client, firm.uscc)["evaluation"]["reasons"]
    assert any(r["kind"] == "commitment_breach" and r["points"] < 0 for r in reasons)


def test_closing_before_signing_or_in_the_future_is_refused(client, firm, scjg):
    created = register(client, scjg, firm.uscc)
    for day, reason in ((TODAY - timedelta(days=31), "closed_before_signed"),
                        (TODAY + timedelta(days=1), "closed_on_future")):
        resp = client.post(f"{URL}/{created['id']}/close", headers=scjg,
                           json={"outcome": "kept", "note": "核查", "closed_on": day.isoformat()})
        assert resp.status_code == 422 and resp.json["reason"] == reason


def test_who_may_do_what(app, client, db, firm, scjg, admin):
    by_admin = register(client, admin, firm.uscc, department_code="XZSP", type="approval")
    assert by_admin["department"]["code"] == "XZSP"
    # A department reviewer neither sees nor closes another department's commitment …
    assert client.get(f"{URL}/{by_admin['id']}", headers=scjg).json["reason"] == "department_scope"
    resp = client.post(f"{URL}/{by_admin['id']}/close", json={"outcome": "kept", "note": "x"}, headers=scjg)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"
    # … and registers for its own department only.
    resp = client.post(URL, json=commitment(firm.uscc, department_code="XZSP"), headers=scjg)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"
    assert register(client, scjg, firm.uscc)["department"]["code"] == "SCJG"
    auditor = _staff(app, db, Role.AUDITOR, "FGW")
    assert client.get(URL, headers=auditor).json["total"] == 2
    resp = client.post(URL, json=commitment(firm.uscc), headers=auditor)
    assert resp.status_code == 403 and resp.json["reason"] == "role_forbidden"
    bank = make_staff(db, Role.BANK_PARTNER, seeded_department(db, "JSYH"))
    db.commit()
    assert client.get(URL, headers=staff_headers(app, bank)).status_code == 403
    assert client.get(f"{URL}/999999", headers=admin).json["reason"] == "commitment_not_found"


def test_search_filters_and_department_scope(app, client, db, firm, scjg, admin):
    person = make_person(db)
    db.commit()
    register(client, scjg, firm.uscc, signed_on=(TODAY - timedelta(days=3)).isoformat())
    register(client, scjg, person.id_number, type="certification", signed_on=(TODAY - timedelta(days=1)).isoformat())
    register(client, admin, firm.uscc, department_code="XZSP", type="approval")
    everyone = client.get(URL, headers=admin).json
    assert everyone["total"] == 3
    assert [i["signed_on"] for i in everyone["items"]] == sorted((i["signed_on"] for i in everyone["items"]),
                                                                 reverse=True)
    mine = client.get(URL, headers=scjg).json
    assert mine["total"] == 2 and {i["department"]["code"] for i in mine["items"]} == {"SCJG"}
    assert mine["items"][0]["subject"]["code"] != person.id_number  # persons masked for staff
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert client.get(URL, query_string={"signed_from": yesterday}, headers=scjg).json["total"] == 1
    assert client.get(URL, query_string={"type": "approval"}, headers=admin).json["total"] == 1
    assert client.get(URL, query_string={"subject_code": firm.uscc.lower()}, headers=admin).json["total"] == 2
    assert client.get(URL, query_string={"status": "kept"}, headers=admin).json["total"] == 0
    resp = client.get(URL, query_string={"department": "XZSP"}, headers=scjg)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"
    resp = client.get(URL, query_string={"department": "NOPE"}, headers=admin)
    assert resp.status_code == 422 and resp.json["reason"] == "department_unknown"


def test_kept_commitments_count_for_three_years_and_up_to_the_cap(db):
    from datetime import date

    from backend.evaluation.services import evaluate_subject
    from tests.factories.evaluation import commitment as kept
    from tests.factories.evaluation import subject

    firm = subject(db, "firm")
    for _ in range(12):
        kept(db, firm, closed=date(2026, 1, 10))
    capped = evaluate_subject(db, firm.id, date(2026, 6, 1))
    assert capped.score == 800 + 50  # 信用承诺 adds at most 50 (max_gain)
    assert capped.grade == "A"
    end = date(2026, 1, 10) + timedelta(days=1095)  # valid_days in the rules file
    assert evaluate_subject(db, firm.id, end - timedelta(days=1)).score == 850
    assert evaluate_subject(db, firm.id, end).score == 800


def test_commitment_rows_keep_their_status_enum(db, firm):
    from backend.commitments.services import register_commitment
    from backend.common.actor import SYSTEM

    c = register_commitment(db, SYSTEM, subject_code=firm.uscc, commitment_type="repair", matter="信用修复承诺书",
                            content="已纠正失信行为。", signed_on=TODAY, department_code="SCJG")
    assert c.status is CommitmentStatus.ACTIVE and c.department_id == seeded_department(db, "SCJG").id


@needs_postgres("two closings racing on the commitment's row lock")
def test_two_staff_closing_at_once_only_one_outcome_stands(app, database_url):
    from sqlalchemy import delete, text
    from sqlalchemy.orm import Session

    from backend.commitments.services import close_commitment, register_commitment
    from backend.common.actor import SYSTEM
    from backend.common.models import AuditEntry
    from backend.platform.db import make_engine
    from backend.platform.errors import Conflict
    from backend.subjects.models import Firm, Subject

    own = make_engine(database_url)
    with own.connect() as conn:
        start_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    with Session(own) as session:
        f = make_firm(session)
        c = register_commitment(session, SYSTEM, subject_code=f.uscc, commitment_type="disclosure", matter="承诺",
                                content="内容", signed_on=TODAY, department_code="SCJG")
        firm_id, cid = f.id, c.id
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go(outcome: str) -> None:
        with Session(own) as session:
            barrier.wait()
            try:
                close_commitment(session, SYSTEM, cid, outcome=outcome, note="并发核查")
                session.commit()
                outcomes.append(outcome)
            except Conflict as exc:
                session.rollback()
                outcomes.append(exc.reason)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                outcomes.append(repr(exc))

    threads = [threading.Thread(target=go, args=(o,)) for o in ("kept", "breached")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(outcomes) == 2 and "commitment_not_active" in outcomes
        [winner] = [o for o in outcomes if o != "commitment_not_active"]
        with Session(own) as session:
            assert session.get(Commitment, cid).status == winner
    finally:
        from backend.evaluation.models import Evaluation, EvaluationHistory

        with own.begin() as conn:
            conn.execute(delete(Commitment).where(Commitment.id == cid))
            conn.execute(delete(EvaluationHistory).where(EvaluationHistory.subject_id == firm_id))
            conn.execute(delete(Evaluation).where(Evaluation.subject_id == firm_id))
            conn.execute(delete(Firm).where(Firm.id == firm_id))
            conn.execute(delete(Subject).where(Subject.id == firm_id))
            conn.execute(delete(AuditEntry).where(AuditEntry.id > start_id))
        own.dispose()


def test_the_card_and_the_stored_evaluation_explain_in_the_same_order(client, db, firm, scjg):
    from backend.cards.services import load_card
    from backend.evaluation.services import get_evaluation

    for n in range(3):
        c = register(client, scjg, firm.uscc, document_no=f"淮区信诺〔2026〕{n + 10}号",
                     signed_on=(TODAY - timedelta(days=30 - n)).isoformat())
        assert client.post(f"{URL}/{c['id']}/close", json={"outcome": "kept", "note": "核查"}, headers=scjg).status_code == 200
    db.expire_all()
    on_card = [i["commitment_id"] for i in load_card(db, firm.id)["evaluation"]["explanation"]
               if i["commitment_id"]]
    stored = [i.commitment_id for i in get_evaluation(db, firm.id).items if i.commitment_id]
    assert len(on_card) == 3 and on_card == stored


def test_a_kept_commitment_of_an_unpublished_type_adds_points_but_no_public_reason(app, client, db, firm, scjg):
    account, rep = bound_account(db)
    approve_agent(db, firm, account, rep)
    db.commit()
    c = register(client, scjg, firm.uscc, type="approval", matter="企业投资项目信用承诺（审批替代）")
    client.post(f"{URL}/{c['id']}/close", json={"outcome": "kept", "note": "核查"}, headers=scjg)
    own = client.get(f"/miniapp/v1/firms/{firm.uscc}/card", headers=headers(app, account)).json["evaluation"]
    public = public_card(client, firm.uscc)["evaluation"]
    assert [i["title"] for i in own["explanation"] if i["kind"] == "commitment"] == ["企业投资项目信用承诺（审批替代）"]
    assert all(r["kind"] != "commitment" for r in public["reasons"])
    assert public["grade"] == own["grade"]  # the same grade, fewer reasons shown


def test_the_public_list_reads_its_subjects_per_page_not_per_row(app, client, db, scjg, admin):
    """A page of the public commitment list costs the same statements for 2 rows as for 6 (no query per
    row), and persons stay masked."""
    from tests.factories.cards import StatementCounter

    firms = [make_firm(db) for _ in range(3)]
    people = [make_person(db, name="欧阳公示") for _ in range(3)]
    db.commit()
    register(client, scjg, firms[0].uscc, type="disclosure", matter="主动公示承诺一")
    register(client, admin, people[0].id_number, type="disclosure", matter="主动公示承诺二", department_code="rsj")

    def page():
        with StatementCounter(db.get_bind()) as seen:
            resp = client.get("/public/v1/commitments")
        assert resp.status_code == 200
        return resp, len(seen.statements)

    two, n_two = page()
    assert two.json["total"] == 2
    for i, s in enumerate([*firms[1:], *people[1:]]):
        register(client, admin, s.uscc if hasattr(s, "uscc") else s.id_number, type="disclosure",
                 matter=f"主动公示承诺{i + 3}", department_code="rsj")
    six, n_six = page()
    assert six.json["total"] == 6 and n_six == n_two
    body = six.get_data(as_text=True)
    assert "欧阳公示" not in body and all(p.id_number not in body for p in people)

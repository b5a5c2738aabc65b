"""More of "a change shows on the next read": the seeded district, record expiry, legal
representatives, rolled-back changes, and who may use the list endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.cards.cache import card_version
from backend.common.actor import SYSTEM, Actor
from backend.common.clock import china_today
from backend.demo.seed import seed_demo
from backend.evaluation.models import EvaluationHistory
from backend.evaluation.services import evaluate_subject
from backend.lists.models import ListEntry, ListType
from backend.lists.services import add_list_entry
from backend.records.models import RecordStatus
from backend.records.services import expire_due_records, submit_record
from backend.staff.models import Role
from backend.subjects.models import Firm
from backend.subjects.services import link_legal_rep
from tests.factories import (
    account_headers,
    make_department,
    make_firm,
    make_person,
    make_staff,
    seeded_department,
    staff_headers,
)
from tests.factories.cards import approve_agent, bound_account

RECENT = china_today() - timedelta(days=10)


def card(client, uscc):
    resp = client.get(f"/public/v1/firms/{uscc}/card")
    assert resp.status_code == 200, resp.json
    return resp.json


def staff_actor(user) -> Actor:
    return Actor("staff", user.id, role=str(user.role), department_id=user.department_id)


@pytest.fixture
def firm(db):
    f = make_firm(db, name="淮安区可变更食品有限公司")
    db.commit()
    return f


def test_a_seeded_firm_card_shows_its_grade_and_the_reasons(app, client, db):
    seed_demo(db, env="development")
    db.commit()
    listed = db.execute(
        select(Firm).join(ListEntry, ListEntry.subject_id == Firm.id).where(ListEntry.list_type == ListType.SERIOUS)
    ).scalars().first()
    ev = card(client, listed.uscc)["evaluation"]
    assert ev["grade"] == "D"
    assert ev["reasons"], "a D grade says why"
    public = client.get("/public/v1/lists/serious").json
    assert listed.uscc in [i["uscc"] for i in public["items"]]
    assert all(set(i) >= {"uscc", "name"} and "id_number" not in i for i in public["items"])


def test_expiry_rescores_the_subjects_it_touches(app, client, db, firm):
    reviewer = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG"))
    decided = china_today() - timedelta(days=40)
    records = [
        submit_record(db, staff_actor(reviewer), {
            "subject_code": firm.uscc, "kind": "行政处罚", "severity": "一般", "decision_no": f"淮区市监罚〔2026〕8{n}号",
            "decision_date": decided.isoformat(), "title": "未按规定公示年度报告"})
        for n in range(1, 4)
    ]
    db.commit()
    lowered = card(client, firm.uscc)["evaluation"]
    assert lowered["reasons"]
    for rec in records:  # as if their maximum publicity period had passed
        rec.publicity_max_end = china_today() - timedelta(days=1)
    db.flush()
    assert expire_due_records(db, chunk=2) == 3  # two chunks
    db.commit()
    assert all(r.status == RecordStatus.EXPIRED for r in records)
    restored = card(client, firm.uscc)["evaluation"]
    assert restored["grade"] == "B" and restored["reasons"] == []
    assert db.execute(select(EvaluationHistory.cause).where(EvaluationHistory.subject_id == firm.id)
                      .order_by(EvaluationHistory.id.desc())).scalars().first() == "record.expire"


def test_linking_a_legal_representative_shows_on_the_card(app, client, db, firm):
    agent_account, agent = bound_account(db, make_person(db, name="孙八"))
    approve_agent(db, firm, agent_account, agent)
    db.commit()
    url = f"/miniapp/v1/firms/{firm.uscc}/card"
    before = client.get(url, headers=account_headers(app, agent_account))
    assert before.status_code == 200, before.json
    assert (before.json["subject"].get("legal_rep") or {}).get("name") is None
    link_legal_rep(db, SYSTEM, firm, make_person(db, name="王五"))
    db.commit()
    after = client.get(url, headers=account_headers(app, agent_account))
    assert after.json["subject"]["legal_rep"]["name"] == "王*"


def test_a_rolled_back_change_leaves_the_cached_card(app, client, db, firm):
    first = card(client, firm.uscc)
    version = card_version(db, firm.id)
    add_list_entry(db, SYSTEM, subject_code=firm.uscc, list_type="serious", reason="情节严重",
                   legal_basis="《信用条例》", decision_no="淮区发改信〔2026〕9号", listed_on=RECENT,
                   department_code="FGW")
    evaluate_subject(db, firm.id, cause="test")
    db.rollback()
    assert card_version(db, firm.id) == version
    assert card(client, firm.uscc) == first
    assert db.execute(select(ListEntry).where(ListEntry.subject_id == firm.id)).first() is None


def test_who_may_use_the_staff_list_endpoints(app, client, db, firm):
    scjg, fgw = seeded_department(db, "SCJG"), seeded_department(db, "FGW")
    reviewer = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, scjg))
    other_dept = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, make_department(db, code="HA-TEST-OTHER")))
    auditor = staff_headers(app, make_staff(db, Role.AUDITOR))
    admin = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN, fgw))
    bank = staff_headers(app, make_staff(db, Role.BANK_PARTNER))
    db.commit()
    watch = {"subject_code": firm.uscc, "list_type": "watch", "reason": "未按期公示年报",
             "legal_basis": "《市场主体登记管理条例》", "decision_no": "淮区市监异〔2026〕1号",
             "listed_on": RECENT.isoformat()}
    resp = client.post("/staff/v1/lists", headers=reviewer, json=watch)
    assert resp.status_code == 201, resp.json
    entry_id = resp.json["id"]
    assert client.post("/staff/v1/lists", headers=auditor, json=watch).status_code == 403
    assert client.post("/staff/v1/lists", headers=bank, json=watch).status_code == 403
    assert client.get("/staff/v1/lists").status_code == 401
    assert client.get("/staff/v1/lists", headers=bank).status_code == 403
    assert client.get("/staff/v1/lists", headers=auditor).json["total"] == 1
    assert client.get("/staff/v1/lists?department=SCJG&type=watch", headers=admin).json["total"] == 1
    assert client.get("/staff/v1/lists", headers=other_dept).json["total"] == 0  # own department only
    resp = client.get("/staff/v1/lists?department=SCJG", headers=other_dept)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"
    resp = client.post(f"/staff/v1/lists/{entry_id}/remove", headers=other_dept, json={"reason": "x"})
    assert resp.status_code == 403
    for bad in ("?type=gold", "?page=0", "?per_page=1000", "?status=deleted", "?department=NOPE"):
        resp = client.get(f"/staff/v1/lists{bad}", headers=admin)
        assert resp.status_code == 422, (bad, resp.json)
        assert set(resp.json) >= {"code", "status", "message", "reason", "errors"}
    assert client.post(f"/staff/v1/lists/{entry_id}/remove", headers=admin, json={}).status_code == 422
    assert client.post(f"/staff/v1/lists/{entry_id}/remove", headers=admin, json={"reason": " "}).status_code == 422
    assert client.post("/staff/v1/lists/999999/remove", headers=admin, json={"reason": "x"}).status_code == 404
    assert client.post(f"/staff/v1/lists/{2**40}/remove", headers=admin, json={"reason": "x"}).status_code == 404
    assert client.post(f"/staff/v1/lists/{entry_id}/remove", headers=admin, json={"reason": "a\x00"}).status_code == 422
    assert client.get("/staff/v1/lists?subject_code=%00", headers=admin).status_code == 422
    resp = client.post(f"/staff/v1/lists/{entry_id}/remove", headers=reviewer, json={"reason": "已整改"})
    assert resp.status_code == 200 and resp.json["removal_reason"] == "已整改"
    again = client.post(f"/staff/v1/lists/{entry_id}/remove", headers=reviewer, json={"reason": "已整改"})
    assert again.status_code == 409 and again.json["reason"] == "list_entry_not_active"
    kept = client.get("/staff/v1/lists?status=removed", headers=auditor).json["items"]
    assert [i["id"] for i in kept] == [entry_id]  # never deleted


def test_bad_list_entries_are_refused_with_reasons(app, client, db, firm):
    admin = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW")))
    db.commit()
    base = {"subject_code": firm.uscc, "list_type": "red", "reason": "守信激励", "listed_on": RECENT.isoformat()}
    cases = {
        "reason_required": {**base, "reason": "  "},
        "expires_before_listed": {**base, "expires_on": (RECENT - timedelta(days=1)).isoformat()},
        "record_not_of_subject": {**base, "record_id": 987654},
        "domain_required": {**base, "list_type": "ban", "legal_basis": "x", "decision_no": "y"},
        "department_unknown": {**base, "department_code": "NOPE"},
        "reason_too_long": {**base, "reason": "长" * 1001},
    }
    for reason, body in cases.items():
        resp = client.post("/staff/v1/lists", headers=admin, json=body)
        assert resp.status_code == 422, (reason, resp.json)
        assert resp.json["reason"] == reason
    for body in ({**base, "listed_on": "yesterday"}, {**base, "record_id": "x"}, {**base, "record_id": 2**40},
                 {**base, "reason": "a\x00b"}, {**base, "subject_code": firm.uscc + "\x00"},
                 {**base, "department_code": "F\x00"}, {"list_type": "red"}, []):
        resp = client.post("/staff/v1/lists", headers=admin, json=body)
        assert resp.status_code == 422, (body, resp.json)


def test_public_lists_are_paginated_firms_only(app, client, db):
    firms = [make_firm(db, name=f"淮安区红名单企业{n}有限公司") for n in range(3)]
    person = make_person(db, name="赵六")
    for f in firms:
        add_list_entry(db, SYSTEM, subject_code=f.uscc, list_type="red", reason="守信激励", listed_on=RECENT,
                       department_code="FGW")
    add_list_entry(db, SYSTEM, subject_code=person.id_number, list_type="red", reason="见义勇为",
                   listed_on=RECENT, department_code="FGW")
    db.commit()
    page1 = client.get("/public/v1/lists/red?per_page=2").json
    page2 = client.get("/public/v1/lists/RED?per_page=2&page=2").json
    assert page1["total"] == page2["total"] == 3
    usccs = [i["uscc"] for i in page1["items"] + page2["items"]]
    assert sorted(usccs) == sorted(f.uscc for f in firms)
    assert "赵" not in str(page1) + str(page2)
    assert client.get("/public/v1/lists/red?page=0").status_code == 422
    assert client.get("/public/v1/lists/nope").json["reason"] == "list_not_public"


def test_rescoring_waits_for_the_real_commit_not_a_released_savepoint(app, client, db, firm):
    """A change inside a SAVEPOINT (the demo seed and batches use them) is not committed when the
    savepoint is released: the rescoring starts only at the real commit. Started earlier, the
    inline job waited for the transaction's own write lock on SQLite (make run hung)."""
    history = select(EvaluationHistory).where(EvaluationHistory.subject_id == firm.id)
    before = len(db.execute(history).all())
    with db.begin_nested():
        add_list_entry(db, SYSTEM, subject_code=firm.uscc, list_type="serious", reason="情节严重",
                       legal_basis="《信用条例》", decision_no="淮区发改信〔2026〕10号", listed_on=RECENT,
                       department_code="FGW")
    assert len(db.execute(history).all()) == before  # released savepoint: nothing rescored yet
    db.commit()
    assert len(db.execute(history).all()) == before + 1  # the grade fell to D at the commit
    assert card(client, firm.uscc)["evaluation"]["grade"] == "D"

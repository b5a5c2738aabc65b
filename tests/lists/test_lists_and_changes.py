"""A change to a subject's credit data shows in its grade and card on the next read.

End to end through the staff API: records (single, batch, correction) and list entries (add,
remove) rescore the subject after commit and drop its cached card; a refused change leaves both.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.common.clock import china_today
from backend.evaluation.models import EvaluationHistory
from backend.lists.models import ListEntry, ListEntryStatus
from backend.staff.models import Role
from tests.factories import make_firm, make_person, make_staff, seeded_department, staff_headers

RECENT = china_today() - timedelta(days=10)


@pytest.fixture
def firm(db):
    f = make_firm(db, name="淮安区诚信食品有限公司")
    db.commit()
    return f


@pytest.fixture
def reviewer(app, db):
    user = make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, "SCJG"))
    db.commit()
    return staff_headers(app, user)


@pytest.fixture
def admin(app, db):
    user = make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))
    db.commit()
    return staff_headers(app, user)


def card(client, uscc):
    resp = client.get(f"/public/v1/firms/{uscc}/card")
    assert resp.status_code == 200, resp.json
    return resp.json


def penalty(uscc, n=1, severity="严重"):
    return {"subject_code": uscc.lower(), "kind": "行政处罚", "severity": severity,
            "decision_no": f"淮区市监罚〔2026〕{n}号", "decision_date": RECENT.isoformat(),
            "title": "生产经营不符合食品安全标准的食品"}


def test_a_new_penalty_lowers_the_grade_on_the_next_read(client, db, firm, reviewer):
    before = card(client, firm.uscc)["evaluation"]
    assert before["grade"] == "B" and before["reasons"] == []
    resp = client.post("/staff/v1/records", json=penalty(firm.uscc), headers=reviewer)
    assert resp.status_code == 201, resp.json
    after = card(client, firm.uscc)["evaluation"]
    assert after["grade"] > before["grade"]  # C or D: a 严重 处罚 weighs heavily
    assert any("食品" in (r.get("title") or "") for r in after["reasons"])
    history = db.execute(select(EvaluationHistory).where(EvaluationHistory.subject_id == firm.id)).scalars().all()
    assert [(h.old_grade, h.new_grade) for h in history] == [("B", after["grade"])]


def test_a_batch_rescores_every_subject_it_touches(client, db, firm, reviewer):
    other = make_firm(db, name="淮安区第二食品有限公司")
    db.commit()
    card(client, firm.uscc), card(client, other.uscc)  # warm the cache
    rows = [penalty(firm.uscc, 11), penalty(other.uscc, 12), {"subject_code": "not-a-code"}]
    resp = client.post("/staff/v1/records/batch", json={"rows": rows}, headers=reviewer)
    assert resp.status_code == 200, resp.json
    assert resp.json["accepted"] == 2 and resp.json["rejected"] == 1
    assert card(client, firm.uscc)["evaluation"]["grade"] != "B"
    assert card(client, other.uscc)["evaluation"]["grade"] != "B"
    causes = db.execute(select(EvaluationHistory.subject_id, EvaluationHistory.cause)
                        .where(EvaluationHistory.subject_id.in_([firm.id, other.id]))).all()
    assert sorted(causes) == sorted([(firm.id, "record.batch"), (other.id, "record.batch")])


def test_correction_and_revocation_bring_the_grade_back(client, db, firm, reviewer):
    from backend.common.actor import SYSTEM
    from backend.records.models import RecordStatus
    from backend.records.services import change_status, get_record

    resp = client.post("/staff/v1/records", json=penalty(firm.uscc, 21), headers=reviewer)
    assert resp.status_code == 201, resp.json
    serious = card(client, firm.uscc)["evaluation"]["grade"]
    assert serious in ("C", "D")
    resp = client.post(f"/staff/v1/records/{resp.json['id']}/supersede", headers=reviewer,
                       json={"changes": {"severity": "轻微"}, "reason": "复核后认定为轻微"})
    assert resp.status_code == 201, resp.json
    corrected = card(client, firm.uscc)["evaluation"]
    assert corrected["grade"] < serious  # 更正 to 轻微: a better grade on the next read
    assert corrected["reasons"], "the 轻微 record still explains the score"
    record = get_record(db, resp.json["id"])
    change_status(db, SYSTEM, record, RecordStatus.REVOKED, "决定已被撤销")
    db.commit()
    revoked = card(client, firm.uscc)["evaluation"]
    assert revoked["grade"] == "B" and revoked["reasons"] == []
    grades = db.execute(select(EvaluationHistory.new_grade).where(EvaluationHistory.subject_id == firm.id)
                        .order_by(EvaluationHistory.id)).scalars().all()
    assert grades[0] == serious and grades[-1] == "B"


def test_serious_list_forces_d_and_removal_restores(app, client, db, firm, admin):
    assert card(client, firm.uscc)["evaluation"]["grade"] == "B"
    resp = client.post("/staff/v1/lists", headers=admin, json={
        "subject_code": firm.uscc, "list_type": "serious", "reason": "拒不履行行政处罚决定，情节严重",
        "legal_basis": "《食品安全法》第一百三十四条", "decision_no": "淮区发改信〔2026〕3号",
        "listed_on": RECENT.isoformat()})
    assert resp.status_code == 201, resp.json
    entry_id = resp.json["id"]
    assert resp.json["status"] == "proposed" and card(client, firm.uscc)["evaluation"]["grade"] == "B"
    second = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW")))
    db.commit()
    confirmed = client.post(f"/staff/v1/queues/items/{resp.json['queue_item_id']}/decide", headers=second,
                            json={"outcome": "confirm", "reason": "同意列入"})
    assert confirmed.status_code == 200, confirmed.json
    now = card(client, firm.uscc)
    assert now["evaluation"]["grade"] == "D"
    assert {s["list_type"]: s["listed"] for s in now["list_status"]}["serious"] is True
    public = client.get("/public/v1/lists/serious").json
    assert firm.uscc in [i["uscc"] for i in public["items"]]
    resp = client.post(f"/staff/v1/lists/{entry_id}/remove", headers=admin, json={"reason": "已完成信用修复"})
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "removed"
    assert card(client, firm.uscc)["evaluation"]["grade"] == "B"
    assert firm.uscc not in [i["uscc"] for i in client.get("/public/v1/lists/serious").json["items"]]


def test_a_refused_change_leaves_the_cached_card(client, db, firm, reviewer):
    first = card(client, firm.uscc)
    bad = dict(penalty(firm.uscc, 31), decision_date="2099-01-01")
    resp = client.post("/staff/v1/records", json=bad, headers=reviewer)
    assert resp.status_code == 422
    assert card(client, firm.uscc)["evaluation"] == first["evaluation"]


def test_list_refusals_have_reasons(client, db, firm, admin, reviewer):
    base = {"subject_code": firm.uscc, "list_type": "serious", "reason": "情节严重", "listed_on": RECENT.isoformat()}
    resp = client.post("/staff/v1/lists", headers=admin, json=base)
    assert resp.status_code == 422 and resp.json["reason"] == "legal_basis_required"
    resp = client.post("/staff/v1/lists", headers=admin, json={**base, "list_type": "gold"})
    assert resp.status_code == 422
    resp = client.post("/staff/v1/lists", headers=admin, json={**base, "subject_code": "91320803MA00000000"})
    assert resp.status_code == 422
    red = {"subject_code": firm.uscc, "list_type": "red", "reason": "连续三年纳税信用A级", "listed_on": RECENT.isoformat()}
    assert client.post("/staff/v1/lists", headers=admin, json=red).status_code == 201
    again = client.post("/staff/v1/lists", headers=admin, json=red)
    assert again.status_code == 409 and again.json["reason"] == "list_entry_exists"
    future = {**red, "list_type": "watch", "legal_basis": "x", "decision_no": "y",
              "listed_on": (china_today() + timedelta(days=3)).isoformat()}
    assert client.post("/staff/v1/lists", headers=admin, json=future).json["reason"] == "listed_on_future"
    # A department reviewer lists for its own department only (naming another is refused, naming its
    # own is fine); the credit office may name another.
    other = {**red, "list_type": "watch", "legal_basis": "x", "decision_no": "y", "department_code": "SW"}
    resp = client.post("/staff/v1/lists", headers=reviewer, json=other)
    assert resp.status_code == 403 and resp.json["reason"] == "department_scope"
    resp = client.post("/staff/v1/lists", headers=reviewer, json={**other, "department_code": "scjg"})
    assert resp.status_code == 201 and resp.json["department"]["code"] == "SCJG"


def test_watch_list_and_persons_are_not_public(app, client, db, admin):
    person = make_person(db, name="李四")
    db.commit()
    resp = client.post("/staff/v1/lists", headers=admin, json={
        "subject_code": person.id_number, "list_type": "serious", "reason": "失信被执行人，情节严重",
        "legal_basis": "最高法《关于公布失信被执行人名单信息的若干规定》", "decision_no": "（2026）苏0803执1号",
        "listed_on": RECENT.isoformat()})
    assert resp.status_code == 201
    assert resp.json["subject"]["name"] == "李*"  # staff see persons masked in lists
    second = staff_headers(app, make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW")))
    db.commit()
    confirmed = client.post(f"/staff/v1/queues/items/{resp.json['queue_item_id']}/decide", headers=second,
                            json={"outcome": "confirm", "reason": "同意列入"})
    assert confirmed.status_code == 200, confirmed.json
    assert client.get("/public/v1/lists/serious").json["total"] == 0  # in force, yet persons are never published
    assert client.get("/public/v1/lists/watch").status_code == 404


def test_expiry_job_moves_entries_off_the_list(app, db, firm):
    from backend.common.actor import SYSTEM
    from backend.lists.services import add_list_entry, expire_list_entries

    entry = add_list_entry(db, SYSTEM, subject_code=firm.uscc, list_type="red", reason="守信激励",
                           listed_on=date(2024, 1, 1), expires_on=date(2025, 1, 1), department_code="FGW")
    assert expire_list_entries(db, today=date(2025, 1, 2)) == 1
    db.refresh(entry)
    assert entry.status == ListEntryStatus.EXPIRED
    assert db.execute(select(ListEntry.removal_reason).where(ListEntry.id == entry.id)).scalar() == "期满自动移出"

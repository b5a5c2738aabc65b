"""Firm agency (授权经办): apply in the mini-program, review in the staff console, can_act_for_firm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.common.actor import Actor
from backend.staff.models import Role
from backend.subjects.agency import can_act_for_firm, today_cn
from backend.subjects.models import AgencyStatus, FirmAgency
from tests.factories import account_headers, make_account, make_firm, make_person, make_staff, staff_headers


@pytest.fixture
def person(db):
    return make_person(db, name="陈经办")


@pytest.fixture
def account(db, person):
    return make_account(db, person_id=person.id, identity_level="self_declared")


@pytest.fixture
def headers(app, account):
    return account_headers(app, account)


@pytest.fixture
def firm(db):
    return make_firm(db, name="淮安区经办测试有限公司", legal_rep=make_person(db, name="周法人"))


@pytest.fixture
def admin(app, db):
    return staff_headers(app, make_staff(db, Role.CREDIT_ADMIN))


def apply(client, headers, uscc, note="本人为公司财务负责人"):
    return client.post("/miniapp/v1/me/agencies", headers=headers, json={"uscc": uscc, "note": note})


def decide(client, admin, agency_id, **body):
    return client.post(f"/staff/v1/agencies/{agency_id}/decision", headers=admin, json=body)


def test_full_flow_apply_approve_act(client, db, headers, account, firm, admin):
    db.flush()
    assert not can_act_for_firm(db, account.id, firm.id)
    resp = apply(client, headers, firm.uscc.lower())  # codes may be typed in lower case
    assert resp.status_code == 201, resp.json
    agency = resp.json
    assert agency["status"] == "pending" and agency["status_label"] == "待审核"
    assert agency["uscc"] == firm.uscc and agency["firm_name"] == "淮安区经办测试有限公司"

    queue = client.get("/staff/v1/agencies", headers=admin)
    assert queue.status_code == 200
    item = next(i for i in queue.json["items"] if i["id"] == agency["id"])
    assert item["applicant_name"] == "陈**" and "*" in item["applicant_id_number"]
    assert queue.json["total"] >= 1

    resp = decide(client, admin, agency["id"], approve=True, note="材料齐全")
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "approved"
    assert resp.json["valid_until"] == (today_cn() + timedelta(days=365)).isoformat()
    db.expire_all()
    assert can_act_for_firm(db, account.id, firm.id)
    assert can_act_for_firm(db, account, firm.id)
    assert can_act_for_firm(db, Actor("account", account.id), firm.id)

    me = client.get("/miniapp/v1/me", headers=headers).json
    assert [(f["uscc"], f["relation"]) for f in me["firms"]] == [(firm.uscc, "agent")]
    mine = client.get("/miniapp/v1/me/agencies", headers=headers).json
    assert mine[0]["status"] == "approved" and mine[0]["decision_note"] == "材料齐全"


def test_legal_rep_need_not_apply(client, db, firm, app):
    rep_account = make_account(db, person_id=firm.legal_rep_id, identity_level="self_declared")
    db.flush()
    assert can_act_for_firm(db, rep_account.id, firm.id)
    resp = apply(client, account_headers(app, rep_account), firm.uscc)
    assert resp.status_code == 409 and resp.json["reason"] == "already_legal_rep"


def test_duplicate_pending_request_is_409(client, db, headers, firm):
    db.flush()
    assert apply(client, headers, firm.uscc).status_code == 201
    resp = apply(client, headers, firm.uscc)
    assert resp.status_code == 409 and resp.json["reason"] == "agency_pending"


def test_identity_required(client, db, app, firm):
    bare = make_account(db)
    db.flush()
    resp = apply(client, account_headers(app, bare), firm.uscc)
    assert resp.status_code == 403 and resp.json["reason"] == "identity_required"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"uscc": "91440300708461136X"}, 422, "uscc_check_digit"),
        ({"uscc": "123"}, 422, "uscc_length"),
        ({"uscc": "914403001922038216"}, 404, "firm_not_found"),
        ({}, 422, "validation_failed"),
        ({"uscc": 91440300}, 422, "validation_failed"),
        ({"uscc": "914403001922038216", "note": "很" * 600}, 422, "validation_failed"),
    ],
)
def test_bad_agency_request(client, db, headers, body, status, reason):
    db.flush()
    resp = client.post("/miniapp/v1/me/agencies", headers=headers, json=body)
    assert resp.status_code == status, resp.json
    assert resp.json["reason"] == reason


def test_withdraw_pending_then_reapply(client, db, headers, firm, admin):
    db.flush()
    agency_id = apply(client, headers, firm.uscc).json["id"]
    resp = client.delete(f"/miniapp/v1/me/agencies/{agency_id}", headers=headers)
    assert resp.status_code == 200 and resp.json["status"] == "revoked"
    again = client.delete(f"/miniapp/v1/me/agencies/{agency_id}", headers=headers)
    assert again.status_code == 409 and again.json["reason"] == "agency_closed"
    # staff can no longer decide a withdrawn request
    late = decide(client, admin, agency_id, approve=True)
    assert late.status_code == 409 and late.json["reason"] == "agency_already_decided"
    assert apply(client, headers, firm.uscc).status_code == 201


def test_revoke_approved_agency_stops_acting(client, db, headers, account, firm, admin):
    db.flush()
    agency_id = apply(client, headers, firm.uscc).json["id"]
    decide(client, admin, agency_id, approve=True)
    assert client.delete(f"/miniapp/v1/me/agencies/{agency_id}", headers=headers).status_code == 200
    db.expire_all()
    assert not can_act_for_firm(db, account.id, firm.id)


def test_cannot_touch_someone_elses_agency(client, db, app, headers, firm):
    db.flush()
    agency_id = apply(client, headers, firm.uscc).json["id"]
    other = make_account(db, person_id=make_person(db, name="吴旁人").id, identity_level="self_declared")
    db.flush()
    resp = client.delete(f"/miniapp/v1/me/agencies/{agency_id}", headers=account_headers(app, other))
    assert resp.status_code == 404 and resp.json["reason"] == "agency_not_found"
    assert client.get("/miniapp/v1/me/agencies", headers=account_headers(app, other)).json == []


def test_reject_needs_a_note_and_does_not_grant(client, db, headers, account, firm, admin):
    db.flush()
    agency_id = apply(client, headers, firm.uscc).json["id"]
    resp = decide(client, admin, agency_id, approve=False)
    assert resp.status_code == 422 and resp.json["reason"] == "decision_note_required"
    resp = decide(client, admin, agency_id, approve=False, note="未提供授权委托书")
    assert resp.status_code == 200 and resp.json["status"] == "rejected"
    db.expire_all()
    assert not can_act_for_firm(db, account.id, firm.id)
    assert decide(client, admin, agency_id, approve=True).json["reason"] == "agency_already_decided"


def test_expired_agency_does_not_count(db, account, person, firm):
    db.add(FirmAgency(firm_id=firm.id, account_id=account.id, person_id=person.id,
                      status=AgencyStatus.APPROVED, valid_until=today_cn() - timedelta(days=1)))
    db.flush()
    assert not can_act_for_firm(db, account.id, firm.id)
    assert not can_act_for_firm(db, person, firm.id)


def test_disabled_or_unbound_accounts_act_for_nothing(db, account, person, firm):
    db.add(FirmAgency(firm_id=firm.id, account_id=account.id, person_id=person.id, status=AgencyStatus.APPROVED))
    db.flush()
    assert can_act_for_firm(db, person, firm.id)
    account.disabled = True
    db.flush()
    assert not can_act_for_firm(db, account.id, firm.id)
    assert not can_act_for_firm(db, make_account(db).id, firm.id)
    assert not can_act_for_firm(db, None, firm.id)


def test_queue_oldest_first_and_paginated(client, db, app, firm, admin):
    ids = []
    for n in range(3):
        p = make_person(db, name=f"排队{n}")
        acc = make_account(db, person_id=p.id, identity_level="self_declared")
        db.flush()
        ids.append(apply(client, account_headers(app, acc), firm.uscc).json["id"])
    page1 = client.get("/staff/v1/agencies?status=pending&page=1&per_page=2", headers=admin)
    page2 = client.get("/staff/v1/agencies?status=pending&page=2&per_page=2", headers=admin)
    got = [i["id"] for i in page1.json["items"] + page2.json["items"]]
    assert got == ids
    assert (page1.json["total"], page1.json["page"], page1.json["per_page"]) == (3, 1, 2)


@pytest.mark.parametrize("query", ["status=bogus", "page=0", "per_page=100000", "page=abc", "page=100001"])
def test_queue_bad_query_is_422(client, admin, query):
    resp = client.get(f"/staff/v1/agencies?{query}", headers=admin)
    assert resp.status_code == 422
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}


@pytest.mark.parametrize("body", [{}, {"approve": "maybe"}, {"approve": True, "valid_until": "not a date"},
                                  {"approve": True, "valid_until": "2001-01-01"}])
def test_bad_decision_input_is_422(client, db, headers, firm, admin, body):
    db.flush()
    agency_id = apply(client, headers, firm.uscc).json["id"]
    resp = decide(client, admin, agency_id, **body)
    assert resp.status_code == 422, resp.json


def test_decision_on_unknown_agency_is_404(client, admin):
    resp = decide(client, admin, 999999, approve=True)
    assert resp.status_code == 404 and resp.json["reason"] == "agency_not_found"


def test_staff_endpoints_need_credit_admin(client, db, app, headers):
    reviewer = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER))
    db.flush()
    assert client.get("/staff/v1/agencies").status_code == 401
    assert client.get("/staff/v1/agencies", headers=reviewer).json["reason"] == "role_forbidden"
    assert client.get("/staff/v1/agencies", headers=headers).status_code == 401  # a mini-program token
    assert decide(client, reviewer, 1, approve=True).status_code == 403


def test_double_tap_with_idempotency_key_makes_one_request(client, db, headers, person, firm):
    db.flush()
    h = {**headers, "Idempotency-Key": "agency-apply-7f3c"}
    first = client.post("/miniapp/v1/me/agencies", headers=h, json={"uscc": firm.uscc})
    second = client.post("/miniapp/v1/me/agencies", headers=h, json={"uscc": firm.uscc})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json["id"] == first.json["id"]
    rows = db.execute(select(FirmAgency).where(FirmAgency.person_id == person.id)).scalars().all()
    assert len(rows) == 1

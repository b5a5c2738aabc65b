"""Compare and intercept: departments' systems check up to 10,000 codes; each call is logged."""

from __future__ import annotations

from datetime import date, timedelta

from backend.common.ids import make_resident_id, make_uscc
from backend.staff.models import Role
from tests.factories.lists import make_listing
from tests.factories.staff import make_staff, staff_headers
from tests.factories.subjects import make_firm, make_person

TODAY = date.today()


def _listed(db, subject_id, list_type, **kw):
    dept = make_staff(db, Role.DEPT_REVIEWER).department_id
    entry = make_listing(db, subject_id, list_type, department_id=dept, listed=TODAY - timedelta(days=30),
                         reason="因食品安全违法行为受到较重行政处罚", **kw)
    entry.legal_basis = "《市场监督管理严重违法失信名单管理办法》第九条"
    entry.decision_no = "淮区市监严〔2026〕1号"
    db.flush()
    return entry


def test_check_reports_hits_bans_by_domain_and_bad_codes_per_item(app, client, db):
    serious = make_firm(db)
    banned = make_firm(db)
    clean = make_person(db)
    listed_person = make_person(db)
    _listed(db, serious.id, "serious", expires=TODAY + timedelta(days=365))
    ban = _listed(db, banned.id, "ban")
    ban.domain = "食品药品"
    _listed(db, listed_person.id, "serious")
    expired = make_firm(db)
    _listed(db, expired.id, "serious", expires=TODAY - timedelta(days=1))
    caller = make_staff(db, Role.DEPT_REVIEWER)
    db.flush()
    unknown = make_uscc("91", "320803", "MA999999")
    codes = [serious.uscc, "91320803MA00000001", banned.uscc.lower(), clean.id_number, listed_person.id_number,
             expired.uscc, unknown, "not a code"]
    resp = client.post("/staff/v1/intercept/check", json={"subjects": codes, "domain": "食品药品"},
                       headers=staff_headers(app, caller))
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["total"] == 8
    assert [(h["index"], h["list_type"]) for h in body["hits"]] == [(0, "serious"), (2, "ban"), (4, "serious")]
    first = body["hits"][0]
    assert first["legal_basis"].startswith("《市场监督管理严重违法失信名单管理办法》")
    assert first["expires_on"] == (TODAY + timedelta(days=365)).isoformat() and "严重失信主体名单" in first["message"]
    assert [i["index"] for i in body["invalid"]] == [1, 7]
    assert body["invalid"][0]["reason"].startswith("uscc")
    assert body["unknown"] == [6]
    assert clean.id_number not in resp.get_data(as_text=True)  # ID numbers are never echoed back

    # Another domain: the food ban does not hit, the serious entries still do.
    other = client.post("/staff/v1/intercept/check", json={"subjects": codes, "domain": "工程质量"},
                        headers=staff_headers(app, caller))
    assert [h["index"] for h in other.json["hits"]] == [0, 4]

    admin = make_staff(db, Role.CREDIT_ADMIN)
    db.flush()
    log = client.get(f"/staff/v1/intercept/log?subject_code={banned.uscc}", headers=staff_headers(app, admin))
    assert log.status_code == 200
    assert log.json["total"] == 1 and log.json["items"][0]["subjects"] == 8
    assert log.json["items"][0]["actor"] == f"staff:{caller.id}" and log.json["items"][0]["purpose"] == "check"
    assert log.json["items"][0]["hits"][1]["subject"]["code"] == banned.uscc
    everything = client.get("/staff/v1/intercept/log", headers=staff_headers(app, admin)).json
    assert everything["total"] == 2


def test_ten_thousand_subjects_is_the_limit_and_roles_are_checked(app, client, db):
    caller = make_staff(db, Role.BANK_PARTNER)
    merchant = make_staff(db, Role.MERCHANT)
    db.flush()
    codes = [make_resident_id("320803", date(1980, 1, 1) + timedelta(days=i), i % 1000) for i in range(10_000)]
    ok = client.post("/staff/v1/intercept/check", json={"subjects": codes, "domain": "金融"},
                     headers=staff_headers(app, caller))
    assert ok.status_code == 200 and ok.json["total"] == 10_000 and len(ok.json["unknown"]) == 10_000
    too_many = client.post("/staff/v1/intercept/check", json={"subjects": codes + ["x"]},
                           headers=staff_headers(app, caller))
    assert too_many.status_code == 422
    refused = client.post("/staff/v1/intercept/check", json={"subjects": codes[:1]},
                          headers=staff_headers(app, merchant))
    assert refused.status_code == 403
    log = client.get("/staff/v1/intercept/log", headers=staff_headers(app, caller))
    assert log.status_code == 403  # the log is the credit office's and the auditors'


def test_bans_name_a_known_domain(app, client, db):
    firm = make_firm(db)
    reviewer = make_staff(db, Role.DEPT_REVIEWER)
    db.flush()
    body = {"subject_code": firm.uscc, "list_type": "ban", "reason": "吊销许可证", "legal_basis": "《食品安全法》第一百三十五条",
            "decision_no": "淮区市监禁〔2026〕1号", "listed_on": TODAY.isoformat(), "domain": "食品"}
    resp = client.post("/staff/v1/lists", json=body, headers=staff_headers(app, reviewer))
    assert resp.status_code == 422 and resp.json["reason"] == "ban_domain_unknown"
    resp = client.post("/staff/v1/lists", json={**body, "domain": "食品药品"}, headers=staff_headers(app, reviewer))
    assert resp.status_code == 201  # no expires_on: a permanent ban (永久逐出)
    assert resp.json["expires_on"] is None

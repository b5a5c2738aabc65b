"""实名 binding (``POST /miniapp/v1/me/identity``) and ``GET /miniapp/v1/me``."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.common.ids import make_resident_id
from backend.common.models import AuditEntry
from backend.subjects.identity import VerificationResult
from backend.subjects.models import Account, IdentityLevel, Person
from tests.factories import account_headers, make_account, make_firm, make_person

ID = make_resident_id("320803", date(1985, 6, 15), 123)  # ends …1234-ish, valid check digit
OTHER_ID = make_resident_id("320803", date(1990, 2, 3), 456)


class VerifiedVerifier:
    def verify(self, name, id_number):
        return VerificationResult(IdentityLevel.VERIFIED, True)


class RejectingVerifier:
    def verify(self, name, id_number):
        return VerificationResult(IdentityLevel.NONE, False, "identity_not_verified")


class BrokenVerifier:
    def verify(self, name, id_number):
        raise TimeoutError("verification service timed out")


def bind(client, headers, name="王小明", id_number=ID):
    return client.post("/miniapp/v1/me/identity", headers=headers, json={"name": name, "id_number": id_number})


@pytest.fixture
def account(db):
    return make_account(db)


@pytest.fixture
def headers(app, account):
    return account_headers(app, account)


def test_me_before_binding(client, headers, account):
    resp = client.get("/miniapp/v1/me", headers=headers)
    assert resp.status_code == 200
    assert resp.json["id"] == account.id
    assert resp.json["identity_level"] == "none" and resp.json["has_identity"] is False
    assert resp.json["person"] is None and resp.json["firms"] == []


def test_me_needs_login(client):
    assert client.get("/miniapp/v1/me").status_code == 401
    assert client.get("/miniapp/v1/me", headers={"Authorization": "Bearer forged"}).json["reason"] == "token_invalid"


def test_bind_registers_person_and_masks_by_default(client, db, headers, account):
    resp = bind(client, headers)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["has_identity"] is True and body["identity_level"] == "self_declared"
    assert body["person"]["name"] == "王**"
    assert body["person"]["id_number"] == ID[:6] + "********" + ID[-4:]
    assert ID not in resp.get_data(as_text=True)
    db.expire_all()
    acc = db.get(Account, account.id)
    person = db.get(Person, acc.person_id)
    assert person.id_number == ID and person.name == "王小明"
    # the owner may see it unmasked
    full = client.get("/miniapp/v1/me?reveal=true", headers=headers).json
    assert full["person"]["id_number"] == ID and full["person"]["name"] == "王小明"
    # and no audit detail carries the plaintext
    details = db.execute(select(AuditEntry.details)).scalars().all()
    assert not any(ID in repr(d) or "王小明" in repr(d) for d in details)


def test_bind_accepts_lowercase_x_fullwidth_and_spaces(client, db, headers):
    number = make_resident_id("110105", date(1949, 12, 31), 2)  # 11010519491231002X
    assert number.endswith("X")
    typed = "１１０１０５ 1949 1231 002x"
    resp = bind(client, headers, name="  李四 ", id_number=typed)
    assert resp.status_code == 200, resp.json
    person = client.get("/miniapp/v1/me?reveal=1", headers=headers).json["person"]
    assert person["id_number"] == number and person["name"] == "李四"


def test_bind_existing_person_with_same_name(client, db, headers):
    person = make_person(db, id_number=ID, name="王小明")
    db.flush()
    resp = bind(client, headers)
    assert resp.status_code == 200
    assert resp.json["person"]["id"] == person.id


def test_bind_existing_person_other_name_is_mismatch_without_revealing(client, db, headers):
    make_person(db, id_number=ID, name="王大明")
    db.flush()
    resp = bind(client, headers, name="王小明")
    assert resp.status_code == 422
    assert resp.json["reason"] == "identity_mismatch"
    assert "大" not in resp.get_data(as_text=True)


def test_person_bound_elsewhere_is_409(client, db, app, headers):
    person = make_person(db, id_number=ID, name="王小明")
    make_account(db, person_id=person.id, identity_level="self_declared")
    db.flush()
    resp = bind(client, headers)
    assert resp.status_code == 409 and resp.json["reason"] == "identity_bound_elsewhere"


def test_rebinding_same_identity_is_harmless_but_another_is_refused(client, headers):
    assert bind(client, headers).status_code == 200
    assert bind(client, headers).status_code == 200
    resp = bind(client, headers, name="赵六", id_number=OTHER_ID)
    assert resp.status_code == 409 and resp.json["reason"] == "identity_already_bound"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"name": "王小明", "id_number": ID[:17] + ("0" if ID[-1] != "0" else "1")}, "id_check_digit"),
        ({"name": "王小明", "id_number": "12345"}, "id_length"),
        ({"name": "王小明", "id_number": ""}, "id_empty"),
        ({"name": "", "id_number": ID}, "name_invalid"),
        ({"name": "王" * 80, "id_number": ID}, "name_invalid"),
        ({"name": "王小明"}, "validation_failed"),
        ({"name": ["王"], "id_number": ID}, "validation_failed"),
        ({"name": "王小明", "id_number": "x" * 100}, "validation_failed"),
    ],
)
def test_bad_identity_input_is_422(client, headers, payload, reason):
    resp = client.post("/miniapp/v1/me/identity", headers=headers, json=payload)
    assert resp.status_code == 422, resp.json
    assert resp.json["reason"] == reason


def test_bind_needs_login(client):
    assert bind(client, {}).status_code == 401


def test_me_lists_firms_as_legal_rep(client, db, headers):
    bind(client, headers)
    person = db.execute(select(Person)).scalars().all()
    rep = next(p for p in person if p.name == "王小明")
    firm = make_firm(db, name="淮安区小明商贸有限公司", legal_rep=rep)
    db.flush()
    firms = client.get("/miniapp/v1/me", headers=headers).json["firms"]
    assert firms == [{"uscc": firm.uscc, "name": "淮安区小明商贸有限公司", "relation": "legal_rep",
                      "role_title": "法定代表人", "valid_until": None, "agency_id": None}]


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_REAL_IDENTITY": True}])
def test_real_identity_required_but_only_self_declared_verifier(client, db, headers, account):
    resp = bind(client, headers)
    assert resp.status_code == 503 and resp.json["reason"] == "identity_verifier_unavailable"
    db.expire_all()
    assert db.get(Account, account.id).person_id is None


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_REAL_IDENTITY": True,
                                               "IDENTITY_VERIFIER": "tests.subjects.test_identity_binding.VerifiedVerifier"}])
def test_pluggable_verifier_records_verified_level(client, headers):
    resp = bind(client, headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["identity_level"] == "verified"


@pytest.mark.parametrize("config_overrides", [{"IDENTITY_VERIFIER": "tests.subjects.test_identity_binding:RejectingVerifier"}])
def test_verifier_rejection_is_422(client, headers):
    resp = bind(client, headers)
    assert resp.status_code == 422 and resp.json["reason"] == "identity_not_verified"


@pytest.mark.parametrize("spec", ["tests.subjects.test_identity_binding.BrokenVerifier", "no.such.module.Verifier",
                                  "tests.subjects.test_identity_binding.NoSuchClass"])
def test_broken_or_missing_verifier_is_503(client, headers, spec, app):
    app.config["IDENTITY_VERIFIER"] = spec
    resp = bind(client, headers)
    assert resp.status_code == 503 and resp.json["reason"] == "identity_verifier_unavailable"

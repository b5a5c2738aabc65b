"""``GET /public/v1/firms/{uscc}``: anyone can look a firm up; only public information comes back."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest

from backend.common.actor import SYSTEM
from backend.common.ids import make_resident_id, make_uscc
from backend.subjects.services import register_firm, register_person

USCC = make_uscc("91", "320803", "MA1Q2R3T")
REP_ID = make_resident_id("320803", date(1970, 7, 7), 135)


@pytest.fixture
def firm(db):
    rep = register_person(db, SYSTEM, id_number=REP_ID, name="周恩宝", phone="13800001111")
    firm = register_firm(
        db, SYSTEM, uscc=USCC, name="淮安区勺湖食品有限公司", legal_rep=rep, established_on=date(2016, 4, 12),
        registered_capital="300万元人民币", address="江苏省淮安市淮安区勺湖路8号", industry="食品制造业",
        business_scope="糕点、面包制造；食品销售",
    )
    db.flush()
    return firm


def test_public_firm_basics(client, firm):
    resp = client.get(f"/public/v1/firms/{USCC}")
    assert resp.status_code == 200
    assert resp.json == {
        "uscc": USCC,
        "name": "淮安区勺湖食品有限公司",
        "entity_type": "91",
        "entity_type_label": "企业",
        "region_code": "320803",
        "region_name": "江苏省淮安市淮安区",
        "established_on": "2016-04-12",
        "registered_capital": "300万元人民币",
        "address": "江苏省淮安市淮安区勺湖路8号",
        "industry": "食品制造业",
        "reg_status": "存续",
        "legal_rep_title": "法定代表人",
        "legal_rep_name": "周**",
    }
    assert "public" in resp.headers["Cache-Control"]


def test_no_personal_data_in_the_public_answer(client, firm):
    body = client.get(f"/public/v1/firms/{USCC}").get_data(as_text=True)
    for secret in ("周恩宝", "恩宝", REP_ID, REP_ID[:6] + "*", "13800001111"):
        assert secret not in body


def test_no_login_needed_and_no_token_looked_at(client, firm):
    resp = client.get(f"/public/v1/firms/{USCC}", headers={"Authorization": "Bearer nonsense"})
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "typed",
    [
        USCC.lower(),
        quote(f" {USCC[:8]} {USCC[8:]} "),
        quote("".join(chr(ord(c) + 0xFEE0) for c in USCC.lower())),  # full-width, lower case
        quote(f"{USCC[:4]}－{USCC[4:]}"),
    ],
)
def test_typed_variants_are_normalised(client, firm, typed):
    resp = client.get(f"/public/v1/firms/{typed}")
    assert resp.status_code == 200
    assert resp.json["uscc"] == USCC


@pytest.mark.parametrize(
    "code, reason",
    [
        (USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "uscc_check_digit"),
        (USCC[:-1], "uscc_length"),
        ("1440300192203821", "uscc_length"),
        (USCC[:5] + "I" + USCC[6:], "uscc_charset"),
        ("94" + USCC[2:], "uscc_type"),
        (quote("9.14403E+17"), "uscc_length"),
        (quote("统一社会信用代码"), "uscc_length"),
    ],
)
def test_invalid_code_is_422_with_the_validators_reason(client, code, reason):
    resp = client.get(f"/public/v1/firms/{code}")
    assert resp.status_code == 422
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}
    assert resp.json["reason"] == reason
    assert resp.json["code"] == 422 and resp.json["errors"] == {"uscc": [resp.json["message"]]}


def test_valid_but_unknown_code_is_404(client, db):
    resp = client.get(f"/public/v1/firms/{make_uscc('92', '320803', 'L7777777')}")
    assert resp.status_code == 404
    assert resp.json["reason"] == "firm_not_found"
    assert resp.json["message"]


def test_firm_without_legal_rep_and_other_types(client, db):
    for prefix, org, label in [("92", "L2345678", "个体工商户"), ("93", "N2345678", "农民专业合作社"),
                               ("N2", "C2345678", "村级集体经济组织")]:
        code = make_uscc(prefix, "320803", org)
        register_firm(db, SYSTEM, uscc=code, name=f"测试{label}", reg_status="注销")
        db.flush()
        body = client.get(f"/public/v1/firms/{code}").json
        assert (body["entity_type"], body["entity_type_label"]) == (prefix, label)
        assert body["legal_rep_name"] is None and body["legal_rep_title"] is None
        assert body["reg_status"] == "注销" and body["established_on"] is None


def test_other_region_name_is_the_province(client, db):
    code = "91440300708461136T"
    register_firm(db, SYSTEM, uscc=code, name="深圳某公司")
    db.flush()
    assert client.get(f"/public/v1/firms/{code}").json["region_name"] == "广东省"


def test_only_get_is_allowed(client, firm):
    resp = client.post(f"/public/v1/firms/{USCC}", json={})
    assert resp.status_code == 405
    assert resp.json["reason"] == "method_not_allowed"


def test_openapi_documents_the_lookup(client):
    spec = client.get("/openapi.json").json
    op = spec["paths"]["/public/v1/firms/{uscc}"]["get"]
    assert "security" not in op or op["security"] == []
    assert {"200", "404", "422"} <= set(op["responses"])

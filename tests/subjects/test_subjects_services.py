"""Registering and finding credit subjects (信用主体): persons by resident ID, firms by USCC."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.common.actor import Actor
from backend.common.ids import make_resident_id, make_uscc
from backend.common.models import AuditEntry
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.subjects.models import Firm, Subject, SubjectKind
from backend.subjects.schemas import PersonMaskedSchema
from backend.subjects.services import (
    find_firm,
    find_subject_ids,
    get_firm,
    get_person,
    link_legal_rep,
    register_firm,
    register_person,
    set_person_phone,
    view_person,
)

STAFF = Actor("staff", 7, role="credit_office", ip="10.0.0.8")
ID_A = make_resident_id("320803", date(1975, 3, 14), 151)
ID_B = make_resident_id("320804", date(1990, 10, 1), 262)
USCC_A = make_uscc("91", "320803", "MA1W2P3K")
USCC_B = make_uscc("92", "320803", "L1234567")


def audits(db, action):
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


# --- persons -------------------------------------------------------------------------------


def test_register_person_derives_facts_from_the_id_number(db):
    person = register_person(db, STAFF, id_number=ID_A.lower(), name=" 李 四 ", phone="+86 138-1234-5678")
    assert person.id_number == ID_A
    assert person.name == "李 四"
    assert person.phone == "13812345678"
    assert (person.gender, person.birth_year, person.region_code) == ("M", 1975, "320803")
    assert db.get(Subject, person.id).kind == SubjectKind.PERSON
    entry = audits(db, "person.register")[-1]
    assert (entry.actor, entry.target_type, entry.target_id, entry.ip) == ("staff:7", "person", str(person.id), "10.0.0.8")
    assert ID_A not in str(entry.details) and "李" not in str(entry.details)


def test_registering_the_same_person_again_returns_them(db):
    first = register_person(db, STAFF, id_number=ID_B, name="王芳")
    again = register_person(db, STAFF, id_number=" " + ID_B[:6] + " " + ID_B[6:], name="王芳")
    assert again.id == first.id
    assert len(audits(db, "person.register")) == 1


def test_a_different_name_for_a_known_id_number_is_refused(db):
    register_person(db, STAFF, id_number=ID_B, name="王芳")
    with pytest.raises(Conflict) as info:
        register_person(db, STAFF, id_number=ID_B, name="王芬")
    assert info.value.reason == "person_name_mismatch" and info.value.status == 409


def test_name_variants_are_normalised(db):
    person = register_person(db, STAFF, id_number=ID_A, name="阿卜杜拉•买买提")
    assert person.name == "阿卜杜拉·买买提"
    assert register_person(db, STAFF, id_number=ID_A, name="阿卜杜拉・买买提").id == person.id


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"id_number": "", "name": "张三"}, "id_empty"),
        ({"id_number": ID_A[:17] + ("1" if ID_A[17] != "1" else "2"), "name": "张三"}, "id_check_digit"),
        ({"id_number": ID_A, "name": "  "}, "name_invalid"),
        ({"id_number": ID_A, "name": "张" * 41}, "name_invalid"),
        ({"id_number": ID_A, "name": "𠀀" * 31}, "name_invalid"),  # 4-byte characters: too long to encrypt
        ({"id_number": ID_A, "name": "张\x00三"}, "name_invalid"),
        ({"id_number": ID_A, "name": "张三", "phone": "12345"}, "phone_invalid"),
        ({"id_number": ID_A, "name": "张三", "phone": "23812345678"}, "phone_invalid"),
        ({"id_number": ID_A, "name": "张三", "phone": "１３８１２３４５６７８９"}, "phone_invalid"),
    ],
)
def test_register_person_refusals(db, kwargs, reason):
    with pytest.raises(ValidationFailed) as info:
        register_person(db, STAFF, **kwargs)
    assert info.value.reason == reason
    assert info.value.errors
    assert not audits(db, "person.register")


def test_longest_accepted_names_fit_the_encrypted_column(db):
    a = register_person(db, STAFF, id_number=ID_A, name="张" * 40)
    b = register_person(db, STAFF, id_number=ID_B, name="𠀀" * 30)
    db.flush()
    db.expire_all()
    assert get_person(db, a.id).name == "张" * 40 and get_person(db, b.id).name == "𠀀" * 30


@pytest.mark.parametrize("phone, stored", [("0517-8391 2345", "051783912345"), ("（0517）83912345", "051783912345"),
                                           ("008613812345678", "13812345678"), ("", None), (None, None)])
def test_phone_forms(db, phone, stored):
    assert register_person(db, STAFF, id_number=ID_A, name="张三", phone=phone).phone == stored


def test_get_person(db):
    person = register_person(db, STAFF, id_number=ID_A, name="张三")
    assert get_person(db, person.id) is person
    assert get_person(db, str(person.id)) is person
    for missing in (person.id + 1000, "abc", None):
        with pytest.raises(NotFound) as info:
            get_person(db, missing)
        assert info.value.reason == "person_not_found" and info.value.status == 404


def test_set_person_phone(db):
    person = register_person(db, STAFF, id_number=ID_A, name="张三")
    set_person_phone(db, STAFF, person, "13912345678")
    assert person.phone == "13912345678" and person.phone_bidx
    set_person_phone(db, STAFF, person, "13912345678")  # unchanged: no second entry
    set_person_phone(db, STAFF, person, None)
    assert person.phone is None and person.phone_bidx is None
    entries = audits(db, "person.phone_set")
    assert [e.details["cleared"] for e in entries] == [False, True]
    assert "13912345678" not in str([e.details for e in entries])


def test_view_person_masks_unless_owner_or_audited_staff(db):
    person = register_person(db, STAFF, id_number=ID_A, name="张三", phone="13812345678")
    masked = view_person(db, Actor("account", 5), person)
    assert masked["name"] == "张*" and masked["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert masked["phone"] == "138****5678" and masked["masked"] is True

    own = view_person(db, Actor("account", 5, person_id=person.id), person, unmasked=True)
    assert (own["name"], own["id_number"], own["masked"]) == ("张三", ID_A, False)
    assert not audits(db, "pii.view")

    with pytest.raises(Forbidden) as info:
        view_person(db, Actor("account", 6, person_id=person.id + 1), person, unmasked=True)
    assert info.value.reason == "pii_forbidden"

    assert view_person(db, STAFF, person, unmasked=True)["id_number"] == ID_A
    (entry,) = audits(db, "pii.view")
    assert (entry.actor, entry.target_id) == ("staff:7", str(person.id))


def test_person_schema_masks_a_bare_person(db):
    person = register_person(db, STAFF, id_number=ID_A, name="张三", phone="13812345678")
    dumped = PersonMaskedSchema().dump(person)
    assert dumped["name"] == "张*" and ID_A not in str(dumped) and "13812345678" not in str(dumped)


# --- firms ---------------------------------------------------------------------------------


def test_register_firm_takes_type_and_region_from_the_code(db):
    firm = register_firm(db, STAFF, uscc=USCC_A.lower(), name=" 淮安区河下文旅有限公司 ",
                         established_on=date(2018, 6, 1), registered_capital="500万元人民币")
    assert (firm.uscc, firm.name, firm.entity_type, firm.region_code) == (
        USCC_A, "淮安区河下文旅有限公司", "91", "320803")
    assert firm.reg_status == "存续" and firm.legal_rep_id is None
    assert db.get(Subject, firm.id).kind == SubjectKind.FIRM
    assert find_firm(db, USCC_A) is firm and get_firm(db, f" {USCC_A.lower()} ") is firm
    entry = audits(db, "firm.register")[-1]
    assert entry.details["uscc"] == USCC_A and entry.target_id == str(firm.id)


def test_a_code_registers_once(db):
    register_firm(db, STAFF, uscc=USCC_A, name="甲公司")
    with pytest.raises(Conflict) as info:
        register_firm(db, STAFF, uscc=USCC_A.lower(), name="乙公司")
    assert info.value.reason == "firm_exists"


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"uscc": USCC_A[:-1], "name": "甲"}, "uscc_length"),
        ({"uscc": USCC_A[:-1] + ("0" if USCC_A[-1] != "0" else "1"), "name": "甲"}, "uscc_check_digit"),
        ({"uscc": USCC_A, "name": ""}, "firm_name_invalid"),
        ({"uscc": USCC_A, "name": "甲" * 201}, "firm_name_invalid"),
        ({"uscc": USCC_A, "name": "甲", "address": "路" * 301}, "firm_address_too_long"),
        ({"uscc": USCC_A, "name": "甲", "industry": "业" * 61}, "firm_industry_too_long"),
        ({"uscc": USCC_A, "name": "甲", "registered_capital": "9" * 41}, "firm_registered_capital_too_long"),
    ],
)
def test_register_firm_refusals(db, kwargs, reason):
    with pytest.raises(ValidationFailed) as info:
        register_firm(db, STAFF, **kwargs)
    assert info.value.reason == reason
    assert db.scalar(select(Firm).where(Firm.uscc == USCC_A)) is None


def test_get_firm_unknown_and_invalid(db):
    with pytest.raises(NotFound) as info:
        get_firm(db, USCC_B)
    assert info.value.reason == "firm_not_found"
    with pytest.raises(ValidationFailed) as info:
        get_firm(db, "not a code")
    assert info.value.status == 422


def test_link_legal_rep_is_audited_and_idempotent(db):
    firm = register_firm(db, STAFF, uscc=USCC_A, name="甲公司")
    first = register_person(db, STAFF, id_number=ID_A, name="张三")
    second = register_person(db, STAFF, id_number=ID_B, name="王芳")

    link_legal_rep(db, STAFF, firm, first)
    link_legal_rep(db, STAFF, firm, first)  # nothing changes, nothing is written
    link_legal_rep(db, STAFF, firm, second, title="执行事务合伙人")
    db.expire_all()
    firm = db.get(Firm, firm.id)
    assert (firm.legal_rep.id, firm.legal_rep_title) == (second.id, "执行事务合伙人")
    entries = audits(db, "firm.legal_rep_link")
    assert [(e.details["person_id"], e.details["previous_person_id"]) for e in entries] == [
        (first.id, None), (second.id, first.id)]
    with pytest.raises(ValidationFailed):
        link_legal_rep(db, STAFF, firm, first, title="长" * 21)


# --- lookup of many codes (batch import) --------------------------------------------------


def test_find_subject_ids_maps_known_valid_codes_only(db):
    firm = register_firm(db, STAFF, uscc=USCC_A, name="甲公司")
    person = register_person(db, STAFF, id_number=ID_A, name="张三")
    unknown_firm = make_uscc("93", "320803", "N7654321")
    unknown_person = make_resident_id("320803", date(2001, 2, 3), 444)
    codes = [
        USCC_A.lower(),  # known, typed in lower case
        f" {ID_A[:6]} {ID_A[6:].lower()} ",  # known person, spaces
        unknown_firm,
        unknown_person,
        "91320803MA1W2P3K00",  # invalid USCC
        ID_A[:17] + ("1" if ID_A[17] != "1" else "2"),  # invalid check digit
        "",
        "9.14403E+17",
    ]
    assert find_subject_ids(db, codes) == {USCC_A: firm.id, ID_A: person.id}


def test_find_subject_ids_in_chunks(db):
    firm = register_firm(db, STAFF, uscc=USCC_A, name="甲公司")
    person = register_person(db, STAFF, id_number=ID_A, name="张三")
    many = [make_uscc("91", "320803", f"MA{i:06d}") for i in range(1000)]
    many += [make_resident_id("320803", date(1980, 1, 1), i) for i in range(1000)]
    found = find_subject_ids(db, [*many, USCC_A, ID_A])
    assert found == {USCC_A: firm.id, ID_A: person.id}
    assert find_subject_ids(db, []) == {}

"""Reference data: the departments of 淮安区 (migration 0003) match backend/staff/departments.py."""

from __future__ import annotations

from sqlalchemy import select

from backend.records.models import RecordKind
from backend.staff.departments import DEPARTMENTS, DEPARTMENTS_BY_CODE
from backend.staff.models import Department, OrgType


def test_database_holds_exactly_the_listed_departments(db):
    rows = {d.code: d for d in db.execute(select(Department)).scalars()}
    seeded = {code: rows[code] for code in DEPARTMENTS_BY_CODE if code in rows}
    assert set(seeded) == set(DEPARTMENTS_BY_CODE), "a department is missing: add a data migration"
    for code, dept in seeded.items():
        want = DEPARTMENTS_BY_CODE[code]
        assert (dept.name, dept.short_name, str(dept.org_type), dept.record_kinds, dept.active) == (
            want["name"], want["short_name"], want["org_type"], want["record_kinds"], True
        ), code


def test_the_list_is_well_formed():
    codes = [d["code"] for d in DEPARTMENTS]
    names = [d["name"] for d in DEPARTMENTS]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    kinds = {k.value for k in RecordKind}
    for d in DEPARTMENTS:
        assert d["code"].isascii() and d["code"].isupper() and len(d["code"]) <= 8
        assert len(d["name"]) <= 100 and len(d["short_name"]) <= 40
        assert OrgType(d["org_type"])
        assert set(d["record_kinds"]) <= kinds, d["code"]
        assert len(set(d["record_kinds"])) == len(d["record_kinds"])


def test_who_may_publish_what():
    by = DEPARTMENTS_BY_CODE
    assert by["FGW"]["org_type"] == "credit_office"
    assert set(by["FGW"]["record_kinds"]) == {k.value for k in RecordKind}  # honours included
    assert by["FY"]["org_type"] == "court"
    assert set(by["FY"]["record_kinds"]) == {"judgment_defaulter", "false_litigant"}
    assert {"admin_penalty", "admin_license", "commitment_breach"} <= set(by["SCJG"]["record_kinds"])
    assert set(by["XZSP"]["record_kinds"]) == {"admin_license", "admin_confirmation", "commitment_breach"}
    assert "admin_levy" in by["SW"]["record_kinds"]
    assert by["RMYH"]["org_type"] == "government"  # 人民银行 is a regulator, not a partner bank
    banks = [d for d in DEPARTMENTS if d["org_type"] == "bank"]
    assert banks and all(d["record_kinds"] == [] for d in banks)
    assert any(d["org_type"] == "town" for d in DEPARTMENTS)
    # Only the court and the credit office publish judicial records; only the credit office honours.
    for d in DEPARTMENTS:
        if d["code"] not in ("FY", "FGW"):
            assert not {"judgment_defaulter", "false_litigant", "honour"} & set(d["record_kinds"]), d["code"]

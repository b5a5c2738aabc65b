"""Issue 9 item 6: 港澳台居民居住证 numbers (GB 11643-1999 layout, regions 810000 香港 / 820000 澳门 /
830000 台湾, the same check digit) identify a person for binding and for records; every other
region code that does not exist is still refused."""

from __future__ import annotations

from datetime import date

import pytest

from backend.common.ids import id_check_char, make_resident_id, parse_resident_id, parse_subject_code
from backend.platform.errors import ValidationFailed
from backend.staff.models import Role
from tests.factories import account_headers, make_account, make_department, make_staff, staff_headers

HK = make_resident_id("810000", date(1990, 5, 1), 17)


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permit_numbers_are_valid(region):
    number = make_resident_id(region, date(1988, 3, 9), 22)
    rid = parse_resident_id(number)
    assert rid.is_residence_permit and rid.region == region
    assert parse_subject_code(number).number == number


@pytest.mark.parametrize("region", ["840000", "830105", "000000", "990000"])
def test_other_nonexistent_regions_stay_refused(region):
    with pytest.raises(ValidationFailed) as err:
        parse_resident_id(make_resident_id(region, date(1988, 3, 9), 22))
    assert err.value.reason == "id_region"


def test_a_permit_with_a_wrong_check_digit_is_refused():
    wrong = HK[:17] + ("0" if id_check_char(HK[:17]) != "0" else "1")
    with pytest.raises(ValidationFailed) as err:
        parse_resident_id(wrong)
    assert err.value.reason == "id_check_digit"


def test_a_hong_kong_resident_binds_and_gets_a_record(app, client, db):
    headers = account_headers(app, make_account(db))
    resp = client.post("/miniapp/v1/me/identity", headers=headers, json={"name": "陈大文", "id_number": HK})
    assert resp.status_code == 200, resp.json
    assert resp.json["has_identity"] is True and HK not in resp.get_data(as_text=True)
    dept = make_department(db, record_kinds=["admin_penalty"])
    staff = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, dept))
    rec = client.post("/staff/v1/records", headers=staff, json={
        "subject_code": HK, "kind": "行政处罚", "severity": "一般", "decision_no": "淮区罚〔2026〕810号",
        "decision_date": "2026-06-01", "title": "违法行为"})
    assert rec.status_code == 201, rec.json
    assert rec.json["subject"]["kind"] == "person"

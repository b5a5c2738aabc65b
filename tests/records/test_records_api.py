"""Staff records API: who may do what, the error shape for bad input, batch import, search, history."""

import io

import pytest

from backend.staff.models import Role
from tests.factories import make_department, make_firm, make_person, make_staff, staff_headers

KINDS = ["admin_penalty", "admin_license"]


@pytest.fixture
def dept(db):
    return make_department(db, record_kinds=KINDS)


@pytest.fixture
def reviewer(app, db, dept):
    return staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, dept))


@pytest.fixture
def admin(app, db):
    return staff_headers(app, make_staff(db, Role.CREDIT_ADMIN))


@pytest.fixture
def firm(db):
    return make_firm(db, name="淮安好味道餐饮有限公司")


def body(code, n=1, **over):
    b = {"subject_code": code, "kind": "行政处罚", "severity": "一般", "decision_no": f"淮区罚〔2026〕{n}号",
         "decision_date": "2026-06-01", "title": "违法行为", "amount_yuan": 500}
    b.update(over)
    return b


def assert_error(resp, status, reason):
    assert resp.status_code == status, resp.json
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}
    assert resp.json["reason"] == reason and resp.json["message"]


def test_submit_one_record(client, db, reviewer, firm):
    db.flush()
    resp = client.post("/staff/v1/records", json=body(firm.uscc), headers=reviewer)
    assert resp.status_code == 201, resp.json
    rec = resp.json
    assert rec["subject"] == {"id": firm.id, "kind": "firm", "code": firm.uscc, "name": "淮安好味道餐饮有限公司"}
    assert (rec["kind"], rec["kind_label"], rec["severity_label"], rec["status_label"]) == (
        "admin_penalty", "行政处罚", "一般", "公示中")
    assert (rec["publicity_min_end"], rec["publicity_max_end"]) == ("2026-09-01", "2027-06-01")
    assert rec["published_late"] is True and rec["amount_yuan"] == 500 and rec["version"] == 1
    again = client.post("/staff/v1/records", json=body(firm.uscc), headers=reviewer)
    assert_error(again, 409, "duplicate_record")


def test_person_subject_is_masked(client, db, reviewer):
    person = make_person(db, name="王小明")
    db.flush()
    resp = client.post("/staff/v1/records", json=body(person.id_number), headers=reviewer)
    assert resp.status_code == 201
    subject = resp.json["subject"]
    assert subject["name"] == "王**" and subject["code"] != person.id_number and "*" in subject["code"]
    assert person.id_number not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"subject_code": "91440300708461136X"}, "uscc_check_digit"),
        ({"subject_code": "91440300708461136T"}, "subject_unknown"),
        ({"kind": "行政给付"}, "kind_out_of_scope"),
        ({"severity": None}, "severity_required"),
        ({"decision_date": "2099-01-01"}, "decision_date_future"),
        ({"amount_yuan": {"a": 1}}, "amount_invalid"),
        ({"amount_yuan": True}, "amount_invalid"),
        ({"title": 12}, "validation_failed"),
        ({"colour": "red"}, "validation_failed"),
    ],
)
def test_bad_single_records_get_422(client, db, reviewer, firm, over, reason):
    db.flush()
    assert_error(client.post("/staff/v1/records", json=body(firm.uscc, **over), headers=reviewer), 422, reason)


def test_non_json_body_is_a_4xx(client, db, reviewer):
    db.flush()
    resp = client.post("/staff/v1/records", data="x", headers=reviewer, content_type="text/plain")
    assert 400 <= resp.status_code < 500 and resp.json["reason"]
    resp = client.post("/staff/v1/records", data="{not json", headers=reviewer, content_type="application/json")
    assert 400 <= resp.status_code < 500 and resp.json["reason"]


def test_roles(app, client, db, firm):
    auditor = staff_headers(app, make_staff(db, Role.AUDITOR))
    bank = staff_headers(app, make_staff(db, Role.BANK_PARTNER))
    db.flush()
    assert_error(client.get("/staff/v1/records"), 401, "token_missing")
    assert_error(client.get("/staff/v1/records", headers=bank), 403, "role_forbidden")
    assert client.get("/staff/v1/records", headers=auditor).status_code == 200
    assert_error(client.post("/staff/v1/records", json=body(firm.uscc), headers=auditor), 403, "role_forbidden")
    assert_error(client.post("/staff/v1/records/batch", json={"rows": []}, headers=auditor), 403, "role_forbidden")


def test_batch_json_and_result_lookup(app, client, db, reviewer, firm, dept):
    db.flush()
    rows = [body(firm.uscc, 1), body(firm.uscc, 2, severity="很重"), body(firm.uscc, 1)]
    resp = client.post("/staff/v1/records/batch", json={"rows": rows}, headers=reviewer)
    assert resp.status_code == 200, resp.json
    out = resp.json
    assert (out["total"], out["accepted"], out["rejected"]) == (3, 1, 2)
    assert [(e["row"], e["reason"], e["field"]) for e in out["errors"]] == [
        (2, "severity_invalid", "severity"), (3, "duplicate_in_batch", "decision_no")]
    again = client.get(f"/staff/v1/records/batches/{out['batch_id']}", headers=reviewer)
    assert again.status_code == 200 and again.json["errors"] == out["errors"]
    stranger = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, make_department(db, record_kinds=KINDS)))
    db.flush()
    assert_error(client.get(f"/staff/v1/records/batches/{out['batch_id']}", headers=stranger), 404, "batch_not_found")
    assert_error(client.get("/staff/v1/records/batches/999999", headers=reviewer), 404, "batch_not_found")


def test_batch_csv_upload(client, db, reviewer, firm):
    db.flush()
    csv_text = ("主体代码,信息类别,严重程度,决定文书号,决定日期,标题\n"
                f"{firm.uscc},行政处罚,严重,淮区罚〔2026〕8号,2026-06-01,无证经营\n"
                "123,行政处罚,严重,淮区罚〔2026〕9号,2026-06-01,无证经营\n")
    data = {"file": (io.BytesIO(csv_text.encode("gbk")), "records.csv")}
    resp = client.post("/staff/v1/records/batch", data=data, headers=reviewer, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.json
    assert (resp.json["source"], resp.json["accepted"], resp.json["rejected"]) == ("csv", 1, 1)
    assert resp.json["errors"][0]["reason"] == "uscc_length"
    resp = client.post("/staff/v1/records/batch", data={}, headers=reviewer, content_type="multipart/form-data")
    assert_error(resp, 422, "file_required")
    bad = {"file": (io.BytesIO(b"PK\x03\x04\x00\x00"), "records.xlsx")}
    resp = client.post("/staff/v1/records/batch", data=bad, headers=reviewer, content_type="multipart/form-data")
    assert_error(resp, 422, "csv_invalid")


@pytest.mark.parametrize("config_overrides", [{"BATCH_MAX_ROWS": 2}])
def test_batch_too_large(client, db, reviewer, firm):
    db.flush()
    resp = client.post("/staff/v1/records/batch", json={"rows": [body(firm.uscc, i) for i in range(3)]},
                       headers=reviewer)
    assert_error(resp, 413, "batch_too_large")
    assert client.get("/staff/v1/records", headers=reviewer).json["total"] == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [({}, "validation_failed"), ({"rows": "x"}, "validation_failed"), ({"rows": []}, "batch_empty"),
     ({"rows": [1, 2]}, "validation_failed"), ([1], "validation_failed")],
)
def test_bad_batch_bodies(client, db, reviewer, payload, reason):
    db.flush()
    assert_error(client.post("/staff/v1/records/batch", json=payload, headers=reviewer), 422, reason)


def test_search_filters_and_department_scope(app, client, db, reviewer, admin, firm, dept):
    other_dept = make_department(db, record_kinds=KINDS)
    other = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, other_dept))
    second = make_firm(db)
    db.flush()
    for n, (code, kind, day) in enumerate([(firm.uscc, "行政处罚", "2026-03-01"), (firm.uscc, "行政许可", "2026-05-01"),
                                           (second.uscc, "行政处罚", "2026-07-01")]):
        resp = client.post("/staff/v1/records", json=body(code, n, kind=kind, decision_date=day), headers=reviewer)
        assert resp.status_code == 201
    assert client.post("/staff/v1/records", json=body(firm.uscc, 9), headers=other).status_code == 201

    def search(headers, **q):
        resp = client.get("/staff/v1/records", query_string=q, headers=headers)
        assert resp.status_code == 200, resp.json
        return resp.json

    assert search(reviewer)["total"] == 3
    assert search(other)["total"] == 1
    assert search(admin)["total"] == 4
    assert [i["decision_date"] for i in search(reviewer, subject_code=firm.uscc.lower())["items"]] == [
        "2026-05-01", "2026-03-01"]
    assert search(reviewer, kind="行政许可")["total"] == 1
    assert search(reviewer, kind="admin_penalty", **{"from": "2026-04-01"})["total"] == 1
    assert search(reviewer, to="2026-04-01")["total"] == 1
    assert search(reviewer, status="公示中")["total"] == 3
    page = search(reviewer, per_page=2, page=2)
    assert (page["total"], len(page["items"]), page["page"]) == (3, 1, 2)
    assert search(reviewer, subject_code="914403001922038216")["total"] == 0  # valid but unknown
    for q, reason in [({"subject_code": "91440300192203821X"}, "uscc_check_digit"), ({"kind": "x"}, "kind_invalid"),
                      ({"status": "x"}, "status_invalid"), ({"from": "2026-13-01"}, "validation_failed"),
                      ({"page": 0}, "validation_failed"), ({"per_page": 1000}, "validation_failed")]:
        assert_error(client.get("/staff/v1/records", query_string=q, headers=reviewer), 422, reason)


def test_supersede_and_detail_with_history(app, client, db, reviewer, firm):
    db.flush()
    rec = client.post("/staff/v1/records", json=body(firm.uscc), headers=reviewer).json
    url = f"/staff/v1/records/{rec['id']}/supersede"
    assert_error(client.post(url, json={"changes": {"title": "x"}}, headers=reviewer), 422, "validation_failed")
    assert_error(client.post(url, json={"changes": {"title": "违法行为"}, "reason": "r"}, headers=reviewer),
                 422, "no_changes")
    resp = client.post(url, json={"changes": {"severity": "严重"}, "reason": "认定有误"}, headers=reviewer)
    assert resp.status_code == 201, resp.json
    new = resp.json
    assert (new["version"], new["supersedes_id"], new["publicity_max_end"]) == (2, rec["id"], "2029-06-01")
    assert_error(client.post(url, json={"changes": {"title": "y"}, "reason": "r"}, headers=reviewer),
                 409, "record_not_current")

    detail = client.get(f"/staff/v1/records/{rec['id']}", headers=reviewer)
    assert detail.status_code == 200
    d = detail.json
    assert (d["id"], d["status"], d["is_current"]) == (rec["id"], "corrected", False)
    assert [v["id"] for v in d["history"]] == [rec["id"], new["id"]]
    assert [(e["from_status"], e["to_status"], e["note"]) for e in d["events"]] == [
        ("publicizing", "corrected", "认定有误")]
    assert client.get("/staff/v1/records", query_string={"include_history": "true"}, headers=reviewer).json["total"] == 2

    stranger = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, make_department(db, record_kinds=KINDS)))
    db.flush()
    assert_error(client.get(f"/staff/v1/records/{new['id']}", headers=stranger), 404, "record_not_found")
    assert_error(client.post(f"/staff/v1/records/{new['id']}/supersede", json={"changes": {"title": "z"}, "reason": "r"},
                             headers=stranger), 404, "record_not_found")
    assert_error(client.get("/staff/v1/records/999999", headers=reviewer), 404, "record_not_found")


def test_openapi_lists_record_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/staff/v1/records", "/staff/v1/records/batch", "/staff/v1/records/{record_id}/supersede"} <= set(paths)

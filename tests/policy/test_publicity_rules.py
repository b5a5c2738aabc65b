"""Issue 9 items 1–4: what the public sees follows the rules in force.

1. 《信用修复管理办法》(国家发展改革委令2025年第36号, from 2026-04-01) and 国办发〔2025〕22号: 轻微失信信息
   原则上不予公示; a department publishing one by exception states its basis, then at most 3 months.
2. A record straddling 2026-04-01 gets the rule more favourable to the subject (从旧兼从轻).
3. 《市场监督管理信用修复管理办法》(总局令第107号, from 2025-12-25): 警告 not published; repair through
   国家企业信用信息公示系统.
4. Repair terms as the sources state them.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from backend.records.models import RecordKind, RecordStatus, Severity
from backend.records.publicity import is_public_on
from backend.records.rules import MARKET_REGULATION, Publication, publicity_window, repair_rule_on
from backend.staff.models import Role
from tests.factories import make_department, make_staff, staff_headers
from tests.factories.cards import bound_account, firm, headers

PENALTY = RecordKind.ADMIN_PENALTY


@pytest.fixture
def general_dept(db):
    return make_department(db, name="淮安区城市管理局（测试）", short_name="区城管局", record_kinds=["admin_penalty"])


@pytest.fixture
def market_dept(db):
    return make_department(db, name="淮安区市场监督管理局（测试）", short_name="区市场监管局（测试）",
                           record_kinds=["admin_penalty"])


def _submit(client, app, db, dept, code, n, **over):
    staff = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, dept))
    body = {"subject_code": code, "kind": "行政处罚", "severity": "轻微", "decision_no": f"淮区罚〔2026〕9{n}号",
            "decision_date": "2026-11-02", "title": "占道经营", "amount_yuan": 200}
    body.update(over)
    resp = client.post("/staff/v1/records", json=body, headers=staff)
    assert resp.status_code == 201, resp.json
    return resp.json, staff


def test_minor_penalty_of_november_2026_is_not_on_the_public_card_but_on_the_owners(app, client, db, general_dept):
    rep_account, rep = bound_account(db)
    f = firm(db, legal_rep=rep)
    rec, staff = _submit(client, app, db, general_dept, f.uscc, 1)
    assert rec["publication"] == "withheld" and rec["publication_basis"] is None

    public = client.get(f"/public/v1/firms/{f.uscc}/card").json
    assert public["record_counts"] == []
    assert all(r.get("record_id") != rec["id"] for r in public["evaluation"]["reasons"])
    assert "占道经营" not in str(public)

    own = client.get(f"/miniapp/v1/firms/{f.uscc}/card", headers=headers(app, rep_account)).json
    (shown,) = [r for r in own["records"] if r["id"] == rec["id"]]
    assert shown["publication_label"] == "不公示" and shown["status_label"] == "公示中"

    share = client.post("/miniapp/v1/me/card/share", json={}, headers=headers(app, rep_account)).json
    shared = client.get(share["url"][share["url"].index("/public/"):]).json
    assert "占道经营" not in str(shared)


def test_a_department_may_publish_it_by_exception_with_its_basis(app, client, db, general_dept):
    f = firm(db)
    rec, staff = _submit(client, app, db, general_dept, f.uscc, 2)
    path = f"/staff/v1/records/{rec['id']}/publication"
    resp = client.put(path, json={"basis": "  "}, headers=staff)
    assert resp.status_code == 422 and resp.json["reason"] == "basis_required"
    resp = client.put(path, json={"basis": "依据" * 501}, headers=staff)
    assert resp.status_code == 422 and resp.json["reason"] == "basis_too_long"
    assert "1000" in resp.json["errors"]["basis"][0]
    resp = client.put(path, json={"basis": "《某某条例》\x07第十条"}, headers=staff)
    assert resp.status_code == 422 and "basis" in resp.json["errors"]
    assert client.get(f"/public/v1/firms/{f.uscc}/card").json["record_counts"] == []  # still withheld
    resp = client.put(path, json={"basis": "《某某条例》第十条：轻微违法行为予以公示"}, headers=staff)
    assert resp.status_code == 200, resp.json
    assert resp.json["publication_basis"].startswith("《某某条例》") and resp.json["publication"] == "withheld"
    public = client.get(f"/public/v1/firms/{f.uscc}/card").json
    assert public["record_counts"] == [{"kind": "admin_penalty", "label": "行政处罚", "count": 1}]
    # another department cannot: out of its scope the record does not exist
    other = staff_headers(app, make_staff(db, Role.DEPT_REVIEWER, make_department(db, record_kinds=["admin_penalty"])))
    assert client.put(path, json={"basis": "x"}, headers=other).status_code == 404


def test_published_by_exception_at_most_three_months():
    row = SimpleNamespace(status=RecordStatus.PUBLICIZING, publicity_start=date(2026, 11, 2),
                          publicity_max_end=date(2027, 2, 2), publication=Publication.WITHHELD,
                          publication_basis="依据")
    assert is_public_on(row, date(2027, 2, 2)) is True
    assert is_public_on(row, date(2027, 2, 3)) is False
    row.publicity_max_end = date(2029, 11, 2)  # even with a longer stored window: 3 months
    assert is_public_on(row, date(2027, 2, 3)) is False
    row.publication_basis = None
    assert is_public_on(row, date(2026, 11, 3)) is False


def test_general_penalty_of_31_march_ends_no_later_than_one_of_1_april():
    today = date(2026, 12, 1)
    before = publicity_window(PENALTY, Severity.GENERAL, date(2026, 3, 31), as_of=today)
    after = publicity_window(PENALTY, Severity.GENERAL, date(2026, 4, 1), as_of=today)
    assert before.max_end <= after.max_end and before.max_end == date(2027, 3, 31)  # not 2029-03-31
    assert before.rule_version == "ndrc-order58-2023>ndrc-repair-2026" and "从旧兼从轻" in before.basis
    # repair: the earlier date of the two (Order 58 allowed 严重 after 3 months, 36号 after 12)
    serious = publicity_window(PENALTY, Severity.SERIOUS, date(2026, 3, 31), as_of=today)
    assert serious.min_end == date(2026, 6, 30) and serious.max_end == date(2029, 3, 31)
    # 轻微 decided before the switch: withheld from the public today, at most 3 months
    minor = publicity_window(PENALTY, Severity.MINOR, date(2026, 3, 31), as_of=today)
    assert minor.publication == Publication.WITHHELD and minor.max_end == date(2026, 6, 30)


def test_the_expiry_job_brings_old_windows_to_the_favourable_rule(app, client, db, general_dept):
    from backend.common.actor import Actor
    from backend.records.services import expire_due_records, submit_record

    f = firm(db)
    user = make_staff(db, Role.DEPT_REVIEWER, general_dept)
    actor = Actor("staff", user.id, role=str(Role.DEPT_REVIEWER), department_id=general_dept.id)
    # Submitted before the switch: stored with Order 58's 36 months.
    rec = submit_record(db, actor, {"subject_code": f.uscc, "kind": "行政处罚", "severity": "一般",
                                    "decision_no": "淮区罚〔2026〕77号", "decision_date": "2026-03-20",
                                    "title": "违法行为"}, today=date(2026, 3, 25))
    assert (rec.publicity_max_end, rec.rule_version) == (date(2029, 3, 20), "ndrc-order58-2023")
    expire_due_records(db, today=date(2026, 12, 1))
    db.refresh(rec)
    assert (rec.publicity_max_end, rec.rule_version) == (date(2027, 3, 20), "ndrc-order58-2023>ndrc-repair-2026")
    assert rec.status == RecordStatus.PUBLICIZING
    expire_due_records(db, today=date(2027, 3, 21))
    db.refresh(rec)
    assert rec.status == RecordStatus.EXPIRED


def test_market_regulation_warning_is_never_public(app, client, db, market_dept):
    f = firm(db)
    rec, staff = _submit(client, app, db, market_dept, f.uscc, 3, title="警告", amount_yuan=None)
    assert (rec["publication"], rec["rule_version"]) == ("never", "samr-order107-2025")
    assert client.get(f"/public/v1/firms/{f.uscc}/card").json["record_counts"] == []
    resp = client.put(f"/staff/v1/records/{rec['id']}/publication", json={"basis": "依据"}, headers=staff)
    assert resp.status_code == 409 and resp.json["reason"] == "publication_never"


def test_market_regulation_periods_and_where_repair_is_filed(app, client, db, market_dept):
    rep_account, rep = bound_account(db)
    f = firm(db, legal_rep=rep)
    # 一般: 3 – 12 months, repair after 3; published (107号 publishes 一般 information).
    rec, _ = _submit(client, app, db, market_dept, f.uscc, 4, severity="一般", title="虚假宣传", amount_yuan=5000)
    assert (rec["publicity_min_end"], rec["publicity_max_end"]) == ("2027-02-02", "2027-11-02")
    assert rec["publication"] == "public"
    own = client.get(f"/miniapp/v1/firms/{f.uscc}/card", headers=headers(app, rep_account)).json
    (reason,) = [i for i in own["evaluation"]["explanation"] if i["record_id"] == rec["id"]]
    assert "国家企业信用信息公示系统" in reason["note"]
    # other 轻微 information leaves publicity after 3 months, without an application
    w = publicity_window(PENALTY, Severity.MINOR, date(2026, 1, 10), family=MARKET_REGULATION)
    assert (w.min_end, w.max_end) == (None, date(2026, 4, 10))
    serious = publicity_window(PENALTY, Severity.SERIOUS, date(2026, 1, 10), family=MARKET_REGULATION)
    assert (serious.min_end, serious.max_end) == (date(2027, 1, 10), date(2029, 1, 10))
    # before 2025-12-25 the general rules of the decision date apply
    assert publicity_window(PENALTY, Severity.GENERAL, date(2025, 12, 24),
                            family=MARKET_REGULATION).rule_version == "ndrc-order58-2023"
    assert repair_rule_on(date(2026, 1, 10), MARKET_REGULATION).repair.filed_at == "国家企业信用信息公示系统"


def test_repair_terms_as_the_sources_state_them():
    order58 = repair_rule_on(date(2025, 6, 1)).repair
    # Order 58: application, proof of fulfilment, commitment — not the 2019 practice's training
    # certificate and credit report (发改办财金〔2019〕527号).
    assert order58.materials == ("信用修复申请书", "履行义务的证明材料", "信用修复承诺书")
    order36 = repair_rule_on(date(2026, 6, 1)).repair
    assert len(order36.conditions) == 4 and order36.conditions[-1] == "满足法律、行政法规、部门规章的其他要求"
    assert order36.materials == ("履行义务的证明材料", "信用修复承诺书")
    # 国办发〔2025〕22号: 信用中国 within 10 working days of a complete application, the deciding
    # department within 3 working days of receiving it.
    assert (order36.handling.platform_working_days, order36.handling.department_working_days) == (10, 3)
    assert "国办发〔2025〕22号" in order36.handling.basis

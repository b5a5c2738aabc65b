"""Issue 9 item 8: ``GET /public/v1/policy`` lists the rule sets in force — publicity periods,
repair terms, handling times, grade bands — each with its basis and effective dates, generated
from the same data the code applies (so the page cannot say one thing while the code does another)."""

from __future__ import annotations

from datetime import date

from backend.common.clock import china_today
from backend.evaluation.rules import rules_for
from backend.records.rules import RULE_SETS, Publication


def test_policy_page_is_public_and_generated_from_the_rules(client):
    resp = client.get("/public/v1/policy")
    assert resp.status_code == 200
    body = resp.json
    today = china_today()
    in_force = {rs.version: rs for rs in RULE_SETS if rs.in_force_on(today)}
    assert {p["version"] for p in body["publicity"]} == set(in_force)
    for page in body["publicity"]:
        rs = in_force[page["version"]]
        assert page["basis"] == rs.basis and page["effective_from"] == rs.effective_from.isoformat()
        for p in page["periods"]:
            period = rs.warning if p["severity"] == "warning" else rs.periods[p["severity"]]
            assert (p["min_months"], p["max_months"], p["publication"]) == (
                period.min_months, period.max_months, period.publication)
    general = next(p for p in body["publicity"] if p["version"] == "ndrc-repair-2026")
    minor = next(p for p in general["periods"] if p["severity"] == "minor")
    assert minor["publication"] == Publication.WITHHELD and minor["max_months"] == 3
    market = next(p for p in body["publicity"] if p["version"] == "samr-order107-2025")
    assert next(p for p in market["periods"] if p["severity"] == "warning")["publication_label"] == "不予公示"

    repair = {r["version"]: r for r in body["repair"]}
    assert repair["ndrc-repair-2026"]["materials"] == ["履行义务的证明材料", "信用修复承诺书"]
    assert repair["samr-order107-2025"]["filed_at"] == "国家企业信用信息公示系统"
    (handling,) = body["handling_times"]
    assert (handling["platform_working_days"], handling["department_working_days"]) == (10, 3)
    assert "国办发〔2025〕22号" in handling["basis"]

    grades = {g["subject_kind"]: g for g in body["grades"]}
    for kind in ("firm", "person"):
        rules = rules_for(kind, today)
        assert [(b["key"], b["min_score"]) for b in grades[kind]["bands"]] == [(g.key, g.min_score) for g in rules.grades]
        assert grades[kind]["basis"] == list(rules.basis) and grades[kind]["effective_from"] == "2026-04-01"
        assert all(v.startswith("本区自定") for v in grades[kind]["district_choices"].values())
        assert "广州" in grades[kind]["objection_practice"]
    assert grades["firm"]["bands"][0] == {"key": "A", "label": "诚信", "min_score": 850, "max_score": 1000}
    assert body["exception_publication"]["max_months"] == 3
    assert "从旧兼从轻" in body["straddling_records"]["principle"]
    assert [r["version"] for r in body["straddling_records"]["earlier_rule_sets"]] == ["ndrc-order58-2023"]


def test_policy_page_of_a_given_day_follows_the_dates():
    from backend.policy.services import policy_document

    before = policy_document(date(2026, 3, 31))
    assert [p["version"] for p in before["publicity"]] == ["ndrc-order58-2023", "samr-order107-2025"]
    assert before["handling_times"] == []  # Order 58 sets no handling time we hold


def test_policy_page_is_in_the_openapi_spec(client):
    assert "/public/v1/policy" in client.get("/openapi.json").json["paths"]

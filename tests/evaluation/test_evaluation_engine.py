"""The pure scoring engine: plain records and list entries in, an explained score out (no database)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.evaluation.engine import CommitmentFact, ListFact, RecordFact, Result, evaluate
from backend.evaluation.rules import rules_for

FIRM = rules_for("firm", date(2026, 5, 1))
PERSON = rules_for("person", date(2026, 5, 1))
D0 = date(2026, 4, 1)


def rec(id=1, kind="admin_penalty", polarity="negative", severity="general", status="publicizing",
        decided=D0, min_days=90, max_days=365, current=True):
    return RecordFact(
        id=id, kind=kind, polarity=polarity, severity=severity, status=status, decision_date=decided,
        publicity_min_end=decided + timedelta(days=min_days) if min_days is not None else None,
        publicity_max_end=decided + timedelta(days=max_days) if max_days is not None else None,
        is_current=current, title="未按规定公示年度报告",
    )


def lst(id=1, list_type="red", status="active", listed=date(2026, 1, 1), expires=None):
    return ListFact(id=id, list_type=list_type, status=status, listed_on=listed, expires_on=expires)


def check_sums(result: Result, rules) -> None:
    assert rules.base + sum(i.points for i in result.items) == result.score


def test_clean_firm_gets_base_score_grade_b_and_a_hint_to_reach_a():
    r = evaluate(FIRM, [], [], D0)
    assert (r.score, r.grade, r.grade_label) == (800, "B", "较好")
    assert r.items == []
    assert any(h.action == "next_grade" and "50分" in h.message and "诚信" in h.message for h in r.hints)


def test_clean_person_is_good_band():
    r = evaluate(PERSON, [], [], D0)
    assert (r.score, r.grade, r.grade_label) == (650, "good", "良好")


def test_general_penalty_weighs_full_on_decision_day_and_says_when_repair_opens():
    r = evaluate(FIRM, [rec()], [], D0)
    assert r.score == 760
    [item] = r.items
    assert (item.record_id, item.points, item.label, item.dimension_label) == (1, -40, "行政处罚（一般）", "行政监管")
    assert "自2026年6月30日起可申请信用修复" in item.note
    repair = next(h for h in r.hints if h.action == "repair")
    assert (repair.record_id, repair.from_date) == (1, "2026-06-30")


def test_penalty_decays_linearly_to_the_floor_and_drops_off_after_max_end():
    # publicity_max_end = D0 + 365 is the LAST day of publicity (the record still shows and counts);
    # the window is 366 days, magnitude 40, floor 30 % = 12: 40 - 28 * elapsed // 366.
    points = {d: evaluate(FIRM, [rec()], [], D0 + timedelta(days=d)).items for d in (0, 100, 365, 366)}
    assert points[0][0].points == -40
    assert points[100][0].points == -(40 - 28 * 100 // 366)
    assert points[365][0].points == -(40 - 28 * 365 // 366) == -13  # its last day: still public, still counts
    assert points[366] == []  # the day after publicity_max_end: expired, counts nothing


def test_after_min_end_the_note_says_repair_is_possible_now():
    r = evaluate(FIRM, [rec()], [], D0 + timedelta(days=120))
    assert "已满最短公示期，可申请信用修复" in r.items[0].note


def test_minor_record_without_min_end_can_be_repaired_once_obligations_are_met():
    r = evaluate(FIRM, [rec(severity="minor", min_days=None, max_days=90)], [], D0)
    assert r.items[0].points == -10
    assert "履行相关义务后即可申请信用修复" in r.items[0].note


def test_repaired_revoked_corrected_expired_and_superseded_records_count_nothing():
    records = [
        rec(1, status="repaired"), rec(2, status="revoked"), rec(3, status="corrected"),
        rec(4, status="expired"), rec(5, current=False),
    ]
    r = evaluate(FIRM, records, [], D0)
    assert (r.score, r.items) == (800, [])


def test_future_and_neutral_records_do_not_count():
    records = [rec(1, decided=D0 + timedelta(days=1)), rec(2, kind="admin_license", polarity="neutral", severity=None)]
    assert evaluate(FIRM, records, [], D0).score == 800


def test_objected_record_is_listed_with_zero_points_and_a_note():
    r = evaluate(FIRM, [rec(status="objected")], [], D0)
    assert r.score == 800
    [item] = r.items
    assert (item.points, item.note) == (0, "异议处理中，暂不计入")
    assert any(h.action == "await_objection" and h.record_id == 1 for h in r.hints)


def test_objected_record_counts_when_the_rules_file_says_so():
    counting = dataclasses.replace(FIRM, count_while_objected=True)
    r = evaluate(counting, [rec(status="objected")], [], D0)
    assert r.score == 760
    assert "异议处理中，按规则暂时计入" in r.items[0].note


def test_penalty_severity_sets_the_deduction_and_unrated_counts_as_general():
    scores = {sev: evaluate(FIRM, [rec(severity=sev)], [], D0).score for sev in ("minor", "general", "serious", None)}
    assert scores == {"minor": 790, "general": 760, "serious": 650, None: 760}


def test_judicial_records_and_commitment_breach_deduct():
    r = evaluate(FIRM, [rec(1, kind="judgment_defaulter", severity=None), rec(2, kind="commitment_breach")], [], D0)
    assert r.score == 800 - 200 - 60
    assert [i.label for i in r.items] == ["失信被执行人", "违背信用承诺"]  # sorted by impact


def test_active_serious_list_forces_grade_d_and_caps_the_score():
    r = evaluate(FIRM, [], [lst(list_type="serious")], D0)
    assert (r.grade, r.grade_label, r.forced) == ("D", "较差", True)
    assert r.score == 500  # 800 - 300: already below the cap of 599
    check_sums(r, FIRM)


def test_market_ban_forces_d_even_with_high_score():
    rewards = [rec(i, kind="admin_reward", polarity="positive", severity=None, max_days=None) for i in range(1, 6)]
    r = evaluate(FIRM, rewards, [lst(1, "red"), lst(2, "ban")], D0)
    assert (r.grade, r.score) == ("D", 599)
    assert any(i.kind == "force" for i in r.items)
    check_sums(r, FIRM)
    assert r.hints[0].action == "leave_list"


def test_expired_or_removed_list_entries_do_not_force():
    entries = [lst(1, "serious", expires=D0 - timedelta(1)), lst(2, "ban", status="removed"),
               lst(3, "serious", listed=D0 + timedelta(1))]
    r = evaluate(FIRM, [], entries, D0)
    assert (r.grade, r.forced, r.score) == ("B", False, 800)


def test_rewards_and_red_list_lift_to_a_but_incentives_are_capped():
    rewards = [rec(i, kind="admin_reward", polarity="positive", severity=None, max_days=None) for i in range(1, 5)]
    r = evaluate(FIRM, rewards, [lst(9, "red")], D0)
    # 4 × 30 + 50 = 170, capped at 150
    assert (r.score, r.grade, r.grade_label) == (950, "A", "诚信")
    cap = next(i for i in r.items if i.kind == "cap")
    assert cap.points == -20 and "上限150分" in cap.label
    check_sums(r, FIRM)


def test_rewards_count_for_valid_days_only():
    reward = rec(kind="honour", polarity="positive", severity=None, max_days=None)
    assert evaluate(FIRM, [reward], [], D0 + timedelta(days=1094)).score == 820
    assert evaluate(FIRM, [reward], [], D0 + timedelta(days=1095)).score == 800


def test_kept_commitments_add_points_when_the_input_arrives():
    r = evaluate(FIRM, [], [], D0, commitments=[CommitmentFact(1, D0), CommitmentFact(2, D0)])
    assert r.score == 810
    assert not any(h.action == "sign_commitment" for h in r.hints)


def test_person_dimension_weight_scales_points():
    r = evaluate(PERSON, [rec(kind="judgment_defaulter", severity=None)], [], D0)
    [item] = r.items
    assert (item.points, item.dimension_label) == (-300, "履约守信")  # 250 × 120 %
    assert (r.score, r.grade_label) == (350, "较差")


def test_person_score_is_clamped_at_zero_with_a_visible_adjustment():
    records = [rec(i, kind=k, severity="serious") for i, k in enumerate(
        ["admin_penalty", "admin_penalty", "judgment_defaulter", "false_litigant", "false_litigant"], 1)]
    r = evaluate(PERSON, records, [lst(1, "serious")], D0)
    assert (r.score, r.grade_label) == (0, "极差")
    assert any(i.kind == "clamp" for i in r.items)
    check_sums(r, PERSON)


def test_person_bands_follow_the_file():
    expected = {0: "极差", 349: "极差", 350: "较差", 549: "较差", 550: "一般", 649: "一般", 650: "良好",
                749: "良好", 750: "优秀", 849: "优秀", 850: "极好", 1000: "极好"}
    assert {s: PERSON.grade_for(s).label for s in expected} == expected


def test_result_round_trips_through_json_storage():
    r = evaluate(FIRM, [rec(), rec(2, status="objected")], [lst(3, "watch")], D0)
    assert Result.from_dict(r.to_dict()) == r


record_st = st.builds(
    rec,
    id=st.integers(1, 10_000),
    kind=st.sampled_from(["admin_penalty", "admin_coercion", "admin_inspection", "judgment_defaulter",
                          "false_litigant", "commitment_breach", "admin_reward", "honour", "admin_license"]),
    polarity=st.sampled_from(["negative", "positive", "neutral"]),
    severity=st.sampled_from(["minor", "general", "serious", None]),
    status=st.sampled_from(["publicizing", "publicizing", "objected", "repaired", "revoked", "expired"]),
    decided=st.dates(date(2023, 1, 1), date(2026, 12, 31)),
    min_days=st.one_of(st.none(), st.integers(1, 400)),
    max_days=st.one_of(st.none(), st.integers(1, 1100)),
    current=st.booleans(),
)
list_st = st.builds(
    lst, id=st.integers(1, 10_000), list_type=st.sampled_from(["red", "watch", "serious", "ban"]),
    status=st.sampled_from(["active", "removed", "expired"]), listed=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    expires=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2028, 12, 31))),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([FIRM, PERSON]), st.lists(record_st, max_size=12), st.lists(list_st, max_size=4),
       st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_any_input_explains_its_score_exactly(rules, records, lists, as_of):
    r = evaluate(rules, records, lists, as_of)
    check_sums(r, rules)
    assert rules.min_score <= r.score <= rules.max_score
    assert r.grade in {g.key for g in rules.grades}
    impacts = [abs(i.points) for i in r.items]
    assert impacts == sorted(impacts, reverse=True)
    if not r.forced:
        assert r.grade == rules.grade_for(r.score).key

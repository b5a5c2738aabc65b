"""The rules files: versioned, dated, every rule cited, and typos refused at load time."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from backend.evaluation.rules import RULES_DIR, RulesError, all_rulesets, load_file, parse_rules, rules_for


def _doc(name: str = "firm_v1.toml") -> dict:
    with open(RULES_DIR / name, "rb") as fh:
        return tomllib.load(fh)


def test_both_rule_sets_load_with_version_and_effective_date():
    versions = {(s.subject_kind, s.version, s.effective_from) for s in all_rulesets()}
    assert ("firm", "firm_v1", date(2026, 4, 1)) in versions
    assert ("person", "person_v1", date(2026, 4, 1)) in versions


def test_every_rule_cites_its_basis_and_the_seed_policy_is_cited():
    for rules in all_rulesets():
        assert all(r.basis.strip() for r in rules.rules)
        assert any("淮政办发〔2020〕80号" in b for b in rules.basis)
        assert any("信用修复管理办法" in b for b in rules.basis)
        assert rules.objection_rationale


def test_firm_rules_cover_every_required_input():
    firm = rules_for("firm")
    kinds = set().union(*(r.kinds for r in firm.rules))
    assert {"admin_reward", "honour", "admin_penalty", "admin_coercion", "judgment_defaulter", "false_litigant",
            "commitment_breach", "admin_inspection"} <= kinds
    assert {"red", "serious", "ban"} <= set().union(*(r.list_types for r in firm.rules))
    assert firm.commitment_rule is not None
    assert [g.key for g in firm.grades] == ["A", "B", "C", "D"]
    assert firm.force_list_types == {"serious", "ban"} and firm.force_grade == "D"


def test_person_rules_have_the_four_dimensions_and_six_bands():
    person = rules_for("person")
    assert [d.label for d in person.dimensions] == ["遵纪守法", "履约守信", "社会公益", "行政司法"]
    assert [g.label for g in person.grades] == ["极好", "优秀", "良好", "一般", "较差", "极差"]
    assert (person.min_score, person.max_score) == (0, 1000)


def test_rule_set_in_force_is_chosen_by_date():
    assert rules_for("firm", date(2026, 4, 1)).version == "firm_v1"
    assert rules_for("firm", date(2020, 1, 1)).version == "firm_v1"  # nothing older exists
    with pytest.raises(RulesError):
        rules_for("robot")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][0].update(kinds=["admin_penaltyy"]), "unknown record kinds"),
        (lambda d: d["rules"][0].update(basis=" "), "basis"),
        (lambda d: d["rules"][0].update(dimension="nope"), "unknown dimension"),
        (lambda d: d["rules"][0].update(points=0), "points"),
        (lambda d: d["rules"][0].update(severity="huge"), "severity"),
        (lambda d: d["grades"].reverse(), "highest first"),
        (lambda d: d["force"].update(grade="E"), "grade must be one of"),
        (lambda d: d["force"].update(list_types=["grey"]), "unknown list types"),
        (lambda d: d["decay"].update(method="exponential"), "linear"),
        (lambda d: d["scale"].update(base="800"), "wrong type"),
        (lambda d: d.pop("objection"), "objection"),
    ],
)
def test_malformed_rules_are_refused_with_the_key_named(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(RulesError, match=message):
        parse_rules(doc, "firm_test.toml")


def test_broken_toml_is_refused(tmp_path):
    bad = tmp_path / "firm_v9.toml"
    bad.write_text("version = \n")
    with pytest.raises(RulesError, match="firm_v9.toml"):
        load_file(bad)

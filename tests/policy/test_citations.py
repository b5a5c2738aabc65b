"""Issue 9 item 7: every rule in the evaluation rules files cites a basis that says what the rule says.

- A rule without a basis, or a file that does not mark the district's own choices (base score,
  points, caps, grade thresholds, labels) as 本区自定 with a reason, does not load.
- 国办发〔2019〕35号 is cited without paragraph numbers: they could not be checked against its text.
- Every section of 淮政办发〔2020〕80号 (the seed) that is cited exists in the seed.
- The 2/2/10 objection day counts are 广州's practice, not the seed's (which says only “尽快核实”).
"""

from __future__ import annotations

import re
import tomllib

import pytest

from backend.evaluation.rules import DISTRICT_CHOICES, RULES_DIR, RulesError, all_rulesets, parse_rules
from backend.records.rules import RULE_SETS

# The sections of 淮政办发〔2020〕80号 (seed/000_7d743d860caf9d8d.txt): 二 has (一)–(三), 三 (一)–(三),
# 四 (一)–(六), 五 (一)–(五), 六 (一)–(三).
SEED_SECTIONS = {"二": 3, "三": 3, "四": 6, "五": 5, "六": 3}
NUMERALS = "一二三四五六七八九十"
SEED = "淮政办发〔2020〕80号"


def _files():
    return sorted(RULES_DIR.glob("*.toml"))


def _texts(data: dict) -> list[str]:
    out = [*data["basis"], data["objection"]["rationale"], data["decay"]["basis"], data.get("force", {}).get("basis", "")]
    out += [r["basis"] for r in data["rules"]]
    return [t for t in out if t]


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_a_rule_without_basis_does_not_load(path):
    data = tomllib.loads(path.read_text("utf-8"))
    parse_rules(data, path.name)  # the file as it is loads
    del data["rules"][0]["basis"]
    with pytest.raises(RulesError, match="basis"):
        parse_rules(data, path.name)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
@pytest.mark.parametrize("choice", DISTRICT_CHOICES)
def test_district_choices_must_say_so(path, choice):
    data = tomllib.loads(path.read_text("utf-8"))
    data["district_choices"][choice] = "基础分800"  # a number without 本区自定 and its reason
    with pytest.raises(RulesError, match="本区自定"):
        parse_rules(data, path.name)


def test_every_file_marks_its_own_choices():
    for rules in all_rulesets():
        assert set(DISTRICT_CHOICES) <= set(rules.district_choices)
        assert all(v.startswith("本区自定：") and len(v) > 10 for v in rules.district_choices.values())
        assert all(r.basis.strip() for r in rules.rules)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_citations_hold(path):
    data = tomllib.loads(path.read_text("utf-8"))
    for text in _texts(data):
        assert not re.search(r"35号\s*[（(][一二三四五六七八九十]+[）)]", text), text
        for part in re.findall(rf"{SEED}\s*([^：]*)", text):
            for chapter, item in re.findall(r"([二三四五六])[（(]([一二三四五六七八九十]+)[）)]", part):
                assert chapter in SEED_SECTIONS and NUMERALS.index(item) < SEED_SECTIONS[chapter], (text, chapter, item)
        if "广州" not in text:
            assert not re.search(r"2个工作日|10个工作日", text), f"广州's day counts cited as {SEED}: {text}"
    practice = data["objection"].get("practice", "")
    assert "广州" in practice and "2个工作日" in practice and "10个工作日" in practice


def test_publicity_rule_sets_cite_their_basis():
    for rs in RULE_SETS:
        assert rs.basis and rs.title in rs.basis
        assert rs.repair is not None and rs.repair.basis and rs.repair.filed_at

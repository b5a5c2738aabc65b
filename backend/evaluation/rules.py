"""Versioned evaluation rules, loaded from ``backend/evaluation/rules/*.toml`` (stdlib ``tomllib``).

Each file is one rule set for one subject kind (firm: 公共信用综合评价 A/B/C/D; person: 个人诚信分
bands), with a version, an effective date and the document every rule rests on. The loader checks
everything a typo could break (unknown record kinds, list types, dimensions, grade order) and
precomputes the integer points both scoring paths use, so the Python engine and the batch SQL
cannot drift apart: they read the same :class:`RuleSet`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from backend.lists.models import ListType
from backend.records.models import Polarity, RecordKind, Severity

RULES_DIR = Path(__file__).resolve().parent / "rules"
SOURCES = ("record", "list", "commitment")
ANY = "any"
NO_SEVERITY = "none"
# The district's own choices every rules file must state, each beginning with DISTRICT_MARK.
DISTRICT_CHOICES = ("scale", "points", "caps", "grades", "labels")
DISTRICT_MARK = "本区自定"


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    weight: int  # percent applied to every rule's points in this dimension
    max_gain: int  # cap on the dimension's additions (0 = no cap)
    max_loss: int  # cap on the dimension's deductions (0 = no cap)


@dataclass(frozen=True)
class Grade:
    key: str
    label: str
    min_score: int


@dataclass(frozen=True)
class Rule:
    index: int
    key: str
    source: str  # record / list / commitment
    kinds: frozenset[str]
    list_types: frozenset[str]
    polarity: str  # positive / negative / neutral / any
    severity: str  # minor / general / serious / none / any
    points: int  # as written in the file (signed, before the dimension weight)
    magnitude: int  # abs(points) * dimension weight // 100: full weight
    floor: int  # magnitude * decay floor_percent // 100: weight on the last day of publicity
    dimension: str
    decay: bool
    valid_days: int | None
    label: str
    basis: str

    @property
    def sign(self) -> int:
        return 1 if self.points > 0 else -1

    def matches_record(self, kind: str, polarity: str, severity: str | None) -> bool:
        if self.source != "record" or kind not in self.kinds:
            return False
        if self.polarity != ANY and polarity != self.polarity:
            return False
        if self.severity == ANY:
            return True
        if self.severity == NO_SEVERITY:
            return severity is None
        return severity == self.severity


@dataclass(frozen=True)
class RuleSet:
    version: str
    subject_kind: str
    effective_from: date
    title: str
    basis: tuple[str, ...]
    base: int
    min_score: int
    max_score: int
    decay_method: str
    decay_floor_percent: int
    count_while_objected: bool
    objection_rationale: str
    grades: tuple[Grade, ...]  # highest min_score first
    force_list_types: frozenset[str]
    force_grade: str | None
    force_score_cap: int | None  # a forced grade also caps the score just below the next grade up
    force_note: str
    dimensions: tuple[Dimension, ...]
    rules: tuple[Rule, ...]
    # What no source sets (base score, points, caps, grade thresholds, labels): the district's own
    # choice (本区自定) with its one-line reason, so no one reads an invented number as sourced.
    district_choices: Mapping[str, str] = field(default_factory=dict)
    objection_practice: str = ""  # practice borrowed from elsewhere (广州's day counts), not a source
    decay_basis: str = ""
    force_basis: str = ""

    def grade_for(self, score: int) -> Grade:
        for grade in self.grades:
            if score >= grade.min_score:
                return grade
        return self.grades[-1]

    def grade(self, key: str) -> Grade:
        return next(g for g in self.grades if g.key == key)

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)

    def match_record(self, kind: str, polarity: str, severity: str | None) -> Rule | None:
        """The first rule (in file order) a record matches, or None (the record does not count)."""
        for rule in self.rules:
            if rule.matches_record(kind, polarity, severity):
                return rule
        return None

    def match_list(self, list_type: str) -> Rule | None:
        for rule in self.rules:
            if rule.source == "list" and list_type in rule.list_types:
                return rule
        return None

    @property
    def commitment_rule(self) -> Rule | None:
        return next((r for r in self.rules if r.source == "commitment"), None)


def _need(data: dict, key: str, typ: type | tuple, where: str):
    if key not in data:
        raise RulesError(f"{where}: missing '{key}'")
    value = data[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise RulesError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    return value


def _check_values(values, allowed: set[str], where: str, what: str) -> frozenset[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise RulesError(f"{where}: unknown {what} {bad}")
    return frozenset(values)


def parse_rules(data: dict, where: str = "<rules>") -> RuleSet:
    """Validate a parsed TOML document and build the :class:`RuleSet`."""
    kind = _need(data, "subject_kind", str, where)
    if kind not in ("firm", "person"):
        raise RulesError(f"{where}: subject_kind must be firm or person")
    scale = _need(data, "scale", dict, where)
    base, lo, hi = (_need(scale, k, int, f"{where} [scale]") for k in ("base", "min", "max"))
    if not lo <= base <= hi:
        raise RulesError(f"{where} [scale]: base must lie between min and max")
    decay = _need(data, "decay", dict, where)
    if _need(decay, "method", str, f"{where} [decay]") != "linear":
        raise RulesError(f"{where} [decay]: only method = \"linear\" is implemented")
    floor_pct = _need(decay, "floor_percent", int, f"{where} [decay]")
    if not 0 <= floor_pct <= 100:
        raise RulesError(f"{where} [decay]: floor_percent must be 0–100")
    objection = _need(data, "objection", dict, where)

    grades = []
    for i, g in enumerate(_need(data, "grades", list, where)):
        w = f"{where} grades[{i}]"
        grades.append(Grade(_need(g, "key", str, w), _need(g, "label", str, w), _need(g, "min_score", int, w)))
    mins = [g.min_score for g in grades]
    if not grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] > lo:
        raise RulesError(f"{where}: grades must be listed highest first, distinct, the last one reaching scale.min")

    dims = []
    for i, d in enumerate(_need(data, "dimensions", list, where)):
        w = f"{where} dimensions[{i}]"
        dims.append(Dimension(
            _need(d, "key", str, w), _need(d, "label", str, w), _need(d, "weight", int, w),
            _need(d, "max_gain", int, w), _need(d, "max_loss", int, w),
        ))
        if dims[-1].weight < 0 or dims[-1].max_gain < 0 or dims[-1].max_loss < 0:
            raise RulesError(f"{w}: weight and caps must be >= 0")
    dim_keys = {d.key for d in dims}
    if len(dim_keys) != len(dims):
        raise RulesError(f"{where}: duplicate dimension keys")

    force = data.get("force", {})
    force_types = _check_values(force.get("list_types", []), {t.value for t in ListType}, f"{where} [force]",
                                "list types")
    force_grade = force.get("grade") if force_types else None
    force_cap = None
    if force_types:
        keys = [g.key for g in grades]
        if force_grade not in keys:
            raise RulesError(f"{where} [force]: grade must be one of {keys}")
        pos = keys.index(force_grade)
        force_cap = grades[pos - 1].min_score - 1 if pos > 0 else hi

    rules = []
    kinds_ok = {k.value for k in RecordKind}
    for i, r in enumerate(_need(data, "rules", list, where)):
        w = f"{where} rules[{i}]"
        key = _need(r, "key", str, w)
        source = _need(r, "source", str, w)
        if source not in SOURCES:
            raise RulesError(f"{w}: source must be one of {SOURCES}")
        points = _need(r, "points", int, w)
        if points == 0:
            raise RulesError(f"{w}: points must not be 0")
        dim_key = _need(r, "dimension", str, w)
        if dim_key not in dim_keys:
            raise RulesError(f"{w}: unknown dimension {dim_key!r}")
        dim = next(d for d in dims if d.key == dim_key)
        kinds = _check_values(r.get("kinds", []), kinds_ok, w, "record kinds") if source == "record" else frozenset()
        list_types = (_check_values(r.get("list_types", []), {t.value for t in ListType}, w, "list types")
                      if source == "list" else frozenset())
        if source == "record" and not kinds or source == "list" and not list_types:
            raise RulesError(f"{w}: a {source} rule needs {'kinds' if source == 'record' else 'list_types'}")
        polarity = r.get("polarity", ANY)
        if polarity != ANY and polarity not in {p.value for p in Polarity}:
            raise RulesError(f"{w}: unknown polarity {polarity!r}")
        severity = r.get("severity", ANY)
        if severity not in {ANY, NO_SEVERITY} | {s.value for s in Severity}:
            raise RulesError(f"{w}: unknown severity {severity!r}")
        do_decay = bool(r.get("decay", False))
        if do_decay and source != "record":
            raise RulesError(f"{w}: only record rules decay")
        valid_days = r.get("valid_days")
        if valid_days is not None and (not isinstance(valid_days, int) or valid_days <= 0):
            raise RulesError(f"{w}: valid_days must be a positive integer")
        if not _need(r, "basis", str, w).strip():
            raise RulesError(f"{w}: every rule cites its basis")
        magnitude = abs(points) * dim.weight // 100
        rules.append(Rule(
            index=i, key=key, source=source, kinds=kinds, list_types=list_types, polarity=polarity,
            severity=severity, points=points, magnitude=magnitude, floor=magnitude * floor_pct // 100,
            dimension=dim_key, decay=do_decay, valid_days=valid_days, label=_need(r, "label", str, w),
            basis=r["basis"],
        ))
    if len({r.key for r in rules}) != len(rules):
        raise RulesError(f"{where}: duplicate rule keys")

    district = _need(data, "district_choices", dict, where)
    for key in DISTRICT_CHOICES:
        text = district.get(key)
        if not isinstance(text, str) or not text.startswith(DISTRICT_MARK) or len(text) <= len(DISTRICT_MARK) + 1:
            raise RulesError(f"{where} [district_choices]: {key!r} must say 本区自定 and why")
    effective = _need(data, "effective_from", date, where)
    return RuleSet(
        version=_need(data, "version", str, where),
        subject_kind=kind,
        effective_from=effective,
        title=_need(data, "title", str, where),
        basis=tuple(_need(data, "basis", list, where)),
        base=base,
        min_score=lo,
        max_score=hi,
        decay_method="linear",
        decay_floor_percent=floor_pct,
        count_while_objected=bool(_need(objection, "count_while_objected", bool, f"{where} [objection]")),
        objection_rationale=_need(objection, "rationale", str, f"{where} [objection]"),
        grades=tuple(grades),
        force_list_types=force_types,
        force_grade=force_grade,
        force_score_cap=force_cap,
        force_note=force.get("note", ""),
        dimensions=tuple(dims),
        rules=tuple(rules),
        district_choices=MappingProxyType(dict(district)),
        objection_practice=str(objection.get("practice", "")),
        decay_basis=str(decay.get("basis", "")),
        force_basis=str(force.get("basis", "")),
    )


def load_file(path: Path) -> RuleSet:
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{path.name}: {exc}") from exc
    return parse_rules(data, path.name)


@functools.cache
def all_rulesets() -> tuple[RuleSet, ...]:
    """Every rules file in the repository, oldest effective date first."""
    sets = [load_file(p) for p in sorted(RULES_DIR.glob("*.toml"))]
    versions = [s.version for s in sets]
    if len(set(versions)) != len(versions):
        raise RulesError(f"duplicate rule versions in {RULES_DIR}")
    return tuple(sorted(sets, key=lambda s: (s.subject_kind, s.effective_from)))


def rules_for(subject_kind: str, as_of: date | None = None) -> RuleSet:
    """The rule set in force for ``subject_kind`` on ``as_of`` (default: the newest).

    Before the first version's effective date the first version applies: there is no older rule set
    in this system to fall back to.
    """
    candidates = [s for s in all_rulesets() if s.subject_kind == subject_kind]
    if not candidates:
        raise RulesError(f"no rules file for subject kind {subject_kind!r}")
    if as_of is None:
        return candidates[-1]
    in_force = [s for s in candidates if s.effective_from <= as_of]
    return in_force[-1] if in_force else candidates[0]


def rules_by_version(version: str) -> RuleSet | None:
    return next((s for s in all_rulesets() if s.version == version), None)

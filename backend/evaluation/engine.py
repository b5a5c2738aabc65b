"""The scoring engine: plain data in, an explained result out. No database, no Flask.

``evaluate(rules, records, lists, as_of)`` returns a :class:`Result` whose items say *why* (each
record or list entry that counted, its points and a note) and whose hints say *what to do next*
(from when a negative record can be repaired, 信用修复). Invariant: ``base + Σ item.points == score``.

Counting, in the order the batch SQL (backend/evaluation/batch.py) applies it too:
1. a record counts only if current, decided on or before ``as_of``, still inside its window
   (``publicity_max_end``, or ``decision_date + valid_days`` for rules that give one) and 公示中;
   异议中 records count only if the rules file says so (else they are listed with 0 points);
   repaired / revoked / corrected / expired records count nothing and are not listed;
2. the first matching rule gives its points (scaled by the dimension weight); negative records decay
   linearly inside the window: ``m - (m - floor) * elapsed // span`` on magnitudes (integers);
3. each dimension's additions and deductions are capped; the sum is clamped to the scale;
4. an active list entry of a forcing type (严重失信, 禁入) forces the grade and caps the score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from backend.common.clock import chinese_date
from backend.evaluation.rules import Rule, RuleSet
from backend.repair.eligibility import repair_timing

COUNTED_STATUS = "publicizing"  # 公示中
OBJECTED_STATUS = "objected"  # 异议中
ACTIVE_LIST = "active"


@dataclass(frozen=True)
class RecordFact:
    """What the engine needs of a ``CreditRecord`` row."""

    id: int
    kind: str
    polarity: str
    severity: str | None
    status: str
    decision_date: date
    publicity_min_end: date | None = None
    publicity_max_end: date | None = None
    is_current: bool = True
    title: str = ""
    rule_version: str = ""  # the publicity rule set; says where a repair is filed


@dataclass(frozen=True)
class ListFact:
    """What the engine needs of a ``ListEntry`` row."""

    id: int
    list_type: str
    status: str
    listed_on: date
    expires_on: date | None = None


@dataclass(frozen=True)
class CommitmentFact:
    """A kept credit commitment (信用承诺): what the engine needs of a ``Commitment`` closed as kept."""

    id: int
    kept_on: date
    title: str = ""  # 承诺事项


@dataclass
class Item:
    kind: str  # record kind, list type, "commitment", or "cap" / "clamp" / "force" adjustments
    label: str
    points: int
    dimension: str | None = None  # dimension key
    dimension_label: str | None = None
    note: str = ""
    record_id: int | None = None
    list_entry_id: int | None = None
    commitment_id: int | None = None
    rule: str | None = None
    title: str = ""


@dataclass
class Hint:
    action: str  # repair / await_objection / leave_list / next_grade / sign_commitment
    message: str
    record_id: int | None = None
    list_entry_id: int | None = None
    from_date: str | None = None  # ISO date


@dataclass
class Result:
    subject_kind: str
    rules_version: str
    as_of: date
    score: int
    grade: str  # A–D for firms, a band key for persons
    grade_label: str
    forced: bool = False
    items: list[Item] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    dimensions: list[dict] = field(default_factory=list)  # [{key, label, points}]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        data = dict(data)
        data["as_of"] = date.fromisoformat(data["as_of"])
        data["items"] = [Item(**i) for i in data.get("items", [])]
        data["hints"] = [Hint(**h) for h in data.get("hints", [])]
        return cls(**data)


def window_end(rule: Rule, decision_date: date, max_end: date | None) -> date | None:
    """The first day a record no longer counts (exclusive end).

    ``publicity_max_end`` is the LAST day of publicity (the record shows that day too; it expires the
    day after, see ``records.services.expire_due_records``), so the end is the day after it.
    """
    if max_end is not None:
        return max_end + timedelta(days=1)
    if rule.valid_days:
        return decision_date + timedelta(days=rule.valid_days)
    return None


def decayed_magnitude(rule: Rule, decision_date: date, end: date | None, as_of: date) -> int:
    """Integer linear decay on magnitudes (non-negative: floor division agrees with SQL's)."""
    if not rule.decay or end is None:
        return rule.magnitude
    span = (end - decision_date).days
    elapsed = (as_of - decision_date).days
    return rule.magnitude - (rule.magnitude - rule.floor) * elapsed // span


def list_entry_active(entry: ListFact, as_of: date) -> bool:
    return (
        entry.status == ACTIVE_LIST
        and entry.listed_on <= as_of
        and (entry.expires_on is None or as_of <= entry.expires_on)  # expires_on: last day on the list
    )


def _repair_note(rec: RecordFact, as_of: date) -> tuple[str, str | None]:
    """The card's repair hint: the repair context's one eligibility function decides it."""
    timing = repair_timing(kind=rec.kind, polarity=rec.polarity, status=rec.status,
                           publicity_min_end=rec.publicity_min_end, rule_version=rec.rule_version, as_of=as_of)
    return timing.message, rec.publicity_min_end.isoformat() if rec.publicity_min_end else None


def _record_items(rules: RuleSet, records: Iterable[RecordFact], as_of: date, hints: list[Hint]) -> list[Item]:
    items = []
    for rec in records:
        if not rec.is_current or rec.decision_date > as_of:
            continue
        if rec.status not in (COUNTED_STATUS, OBJECTED_STATUS):
            continue  # repaired, revoked, corrected, expired: nothing
        rule = rules.match_record(rec.kind, rec.polarity, rec.severity)
        if rule is None:
            continue  # 行政许可, 行政确认 …: published, but not scored
        end = window_end(rule, rec.decision_date, rec.publicity_max_end)
        if end is not None and as_of >= end:
            continue  # past the window: dropped off the public record
        dim = rules.dimension(rule.dimension)
        item = Item(kind=rec.kind, label=rule.label, points=0, dimension=dim.key, dimension_label=dim.label,
                    record_id=rec.id, rule=rule.key, title=rec.title)
        if rec.status == OBJECTED_STATUS and not rules.count_while_objected:
            item.note = "异议处理中，暂不计入"
            hints.append(Hint("await_objection", f"“{rule.label}”正在异议处理中，处理完成后将重新评价。", record_id=rec.id))
            items.append(item)
            continue
        item.points = rule.sign * decayed_magnitude(rule, rec.decision_date, end, as_of)
        notes = []
        if rec.status == OBJECTED_STATUS:
            notes.append("异议处理中，按规则暂时计入")
        if rule.sign < 0:
            if rule.decay and end is not None:
                notes.append(f"公示期内影响逐步减轻，{chinese_date(end)}起不再计入")
            repair, from_date = _repair_note(rec, as_of)
            notes.append(repair)
            hints.append(Hint("repair", f"“{rule.label}”{repair}。", record_id=rec.id, from_date=from_date))
        elif end is not None:
            notes.append(f"{chinese_date(end)}前有效")
        item.note = "；".join(notes)
        items.append(item)
    return items


def _list_items(rules: RuleSet, lists: Iterable[ListFact], as_of: date, hints: list[Hint]) -> tuple[list[Item], bool]:
    items, forced = [], False
    for entry in lists:
        if not list_entry_active(entry, as_of):
            continue
        rule = rules.match_list(entry.list_type)
        is_forcing = entry.list_type in rules.force_list_types
        forced = forced or is_forcing
        if rule is None and not is_forcing:
            continue
        dim = rules.dimension(rule.dimension) if rule else None
        note = f"{chinese_date(entry.expires_on)}期满移出" if entry.expires_on else ""
        items.append(Item(
            kind=entry.list_type, label=rule.label if rule else entry.list_type,
            points=rule.sign * rule.magnitude if rule else 0,
            dimension=dim.key if dim else None, dimension_label=dim.label if dim else None,
            note=note, list_entry_id=entry.id, rule=rule.key if rule else None,
        ))
        if rule is not None and rule.sign < 0:
            hints.append(Hint("leave_list", f"{rule.label}：整改到位、履行义务后可申请移出名单或信用修复。",
                              list_entry_id=entry.id))
    return items, forced


def _commitment_items(rules: RuleSet, commitments: Iterable[CommitmentFact], as_of: date) -> list[Item]:
    rule = rules.commitment_rule
    if rule is None:
        return []
    dim = rules.dimension(rule.dimension)
    items = []
    for c in commitments:
        end = c.kept_on + timedelta(days=rule.valid_days) if rule.valid_days else None
        if c.kept_on > as_of or (end is not None and as_of >= end):
            continue
        items.append(Item(kind="commitment", label=rule.label, points=rule.sign * rule.magnitude,
                          dimension=dim.key, dimension_label=dim.label, commitment_id=c.id, rule=rule.key,
                          title=c.title))
    return items


def evaluate(
    rules: RuleSet,
    records: Iterable[RecordFact],
    lists: Iterable[ListFact],
    as_of: date,
    commitments: Iterable[CommitmentFact] = (),
) -> Result:
    """Score one subject under ``rules`` on ``as_of``; pure and deterministic."""
    hints: list[Hint] = []
    items = _record_items(rules, records, as_of, hints)
    list_items, forced = _list_items(rules, lists, as_of, hints)
    items += list_items
    items += _commitment_items(rules, commitments, as_of)

    adjustments: list[Item] = []
    dims_out = []
    total = 0
    for dim in rules.dimensions:
        gain = sum(i.points for i in items if i.dimension == dim.key and i.points > 0)
        loss = -sum(i.points for i in items if i.dimension == dim.key and i.points < 0)
        if dim.max_gain and gain > dim.max_gain:
            adjustments.append(Item("cap", f"{dim.label}加分上限{dim.max_gain}分", dim.max_gain - gain,
                                    dim.key, dim.label, note="超出部分不计"))
            gain = dim.max_gain
        if dim.max_loss and loss > dim.max_loss:
            adjustments.append(Item("cap", f"{dim.label}扣分上限{dim.max_loss}分", loss - dim.max_loss,
                                    dim.key, dim.label, note="超出部分不计"))
            loss = dim.max_loss
        dims_out.append({"key": dim.key, "label": dim.label, "points": gain - loss})
        total += gain - loss

    raw = rules.base + total
    score = max(rules.min_score, min(rules.max_score, raw))
    if score != raw:
        adjustments.append(Item("clamp", f"分值范围{rules.min_score}–{rules.max_score}分", score - raw))
    if forced and rules.force_score_cap is not None and score > rules.force_score_cap:
        adjustments.append(Item("force", rules.force_note or "名单强制等级", rules.force_score_cap - score))
        score = rules.force_score_cap
    grade = rules.grade(rules.force_grade) if forced and rules.force_grade else rules.grade_for(score)

    items += adjustments
    items.sort(key=lambda i: (-abs(i.points), i.points == 0, i.record_id or 0, i.list_entry_id or 0,
                              i.commitment_id or 0))
    hints.sort(key=lambda h: (h.from_date or "", h.record_id or 0))
    _grade_hints(rules, score, grade.key, forced, hints, any(i.kind == "commitment" for i in items))
    return Result(
        subject_kind=rules.subject_kind, rules_version=rules.version, as_of=as_of, score=score,
        grade=grade.key, grade_label=grade.label, forced=forced, items=items, hints=hints, dimensions=dims_out,
    )


def _grade_hints(rules: RuleSet, score: int, grade_key: str, forced: bool, hints: list[Hint], has_kept: bool) -> None:
    if forced:
        hints.insert(0, Hint("leave_list", rules.force_note or "移出名单后将重新评定等级。"))
        return
    higher = [g for g in rules.grades if g.min_score > score]
    if higher:
        nxt = higher[-1]
        hints.append(Hint("next_grade", f"再提高{nxt.min_score - score}分可达到“{nxt.label}”。"))
    if rules.commitment_rule is not None and not has_kept:
        hints.append(Hint("sign_commitment", "签署并履行信用承诺可获得加分。"))

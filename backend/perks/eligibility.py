"""Who may have a perk (信易+ 准入): the perk's rule (data) against the subject's stored evaluation and
the lists in force. The grade and score come from :func:`backend.evaluation.services.get_evaluation`
(the same evaluation as the card): there is no second formula here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.clock import china_today
from backend.evaluation.engine import Result
from backend.evaluation.rules import Grade, RuleSet, rules_for
from backend.evaluation.services import get_evaluation
from backend.intercept.services import Hit, subject_hits
from backend.lists.models import ListEntry, ListEntryStatus, ListType
from backend.perks.models import Perk

KIND_LABELS = {"firm": "企业（法人和其他组织）", "person": "个人"}


@dataclass
class Refusal:
    reason: str
    message: str
    advice: str | None = None


@dataclass
class Assessment:
    perk: Perk
    score: int
    grade: str
    grade_label: str
    refusals: list[Refusal] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    red_bonus: str | None = None  # the 红名单 bonus that applies to this subject

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def first(self) -> Refusal:
        return self.refusals[0]


def _threshold(perk: Perk, rules: RuleSet) -> tuple[int | None, Grade | None]:
    """The least score and the least grade the rule asks for (either may be absent)."""
    rule = perk.rule or {}
    grade = rules.grade(rule["min_grade"]) if rule.get("min_grade") else None
    score = rule.get("min_score")
    if grade is not None:
        score = max(score or 0, grade.min_score)
    return score, grade


def _grade_refusal(perk: Perk, kind: str, result: Result, rules: RuleSet) -> Refusal | None:
    need, grade = _threshold(perk, rules)
    if need is None:
        return None
    if kind == "person":
        if result.score >= need:
            return None
        band = f"（{grade.label}及以上）" if grade else ""
        return Refusal("score_too_low", f"您的个人诚信分为 {result.score} 分，该权益需 {need} 分以上{band}。",
                       f"诚信分再提高 {need - result.score} 分即可享受。")
    order = [g.key for g in rules.grades]
    have = order.index(result.grade) if result.grade in order else len(order)
    wanted = grade or rules.grade_for(need)
    if have <= order.index(wanted.key) and result.score >= need:
        return None
    return Refusal("grade_too_low",
                   f"该企业的公共信用综合评价为 {result.grade}级（{result.grade_label}），"
                   f"该权益需 {wanted.key}级（{wanted.label}）及以上。",
                   f"评价分达到 {need} 分（目前 {result.score} 分）且不在严重失信名单、禁入期内即可。")


def _window_refusal(perk: Perk, today: date) -> Refusal | None:
    if not perk.active:
        return Refusal("perk_inactive", "该权益已暂停办理。")
    if perk.valid_from > today:
        return Refusal("perk_not_started", f"该权益自{perk.valid_from:%Y年%m月%d日}起办理。",
                       f"{perk.valid_from:%Y年%m月%d日}起可申请。")
    if perk.valid_until is not None and perk.valid_until < today:
        return Refusal("perk_ended", f"该权益已于{perk.valid_until:%Y年%m月%d日}截止。")
    if perk.quota is not None and perk.issued >= perk.quota:
        return Refusal("quota_exhausted", "该权益的名额已发完。")
    return None


def assess(session: Session, perk: Perk, subject_id: int, kind: str, *, today: date | None = None,
           result: Result | None = None) -> Assessment:
    """Whether ``subject_id`` (a ``kind`` subject) may have ``perk`` today, each reason in plain words
    with what would change it. Reads the stored evaluation (rescored only when stale)."""
    today = today or china_today()
    result = result or get_evaluation(session, subject_id)
    out = Assessment(perk, result.score, result.grade, result.grade_label)
    if kind not in (perk.subject_kinds or []):
        only = "、".join(KIND_LABELS[k] for k in perk.subject_kinds or [] if k in KIND_LABELS) or "指定对象"
        out.refusals.append(Refusal("subject_kind", f"该权益仅面向{only}。"))
        return out
    if (window := _window_refusal(perk, today)) is not None:
        out.refusals.append(window)
    out.hits = subject_hits(session, subject_id, kind, perk.domain, today)
    for hit in out.hits:
        out.refusals.append(Refusal("intercepted", hit.plain(), _leave_advice(hit)))
    if (grade := _grade_refusal(perk, kind, result, rules_for(kind, today))) is not None:
        out.refusals.append(grade)
    if perk.red_bonus and _on_red_list(session, subject_id, today):
        out.red_bonus = perk.red_bonus
    return out


def _leave_advice(hit: Hit) -> str:
    if hit.expires_on:
        return f"{hit.expires_on:%Y年%m月%d日}届满移出名单后，或经信用修复提前移出后，即可享受。"
    return "经信用修复或认定部门决定移出名单后，即可享受。"


def _on_red_list(session: Session, subject_id: int, today: date) -> bool:
    return session.execute(select(ListEntry.id).where(
        ListEntry.subject_id == subject_id, ListEntry.list_type == ListType.RED,
        ListEntry.status == ListEntryStatus.ACTIVE, ListEntry.listed_on <= today,
        (ListEntry.expires_on.is_(None)) | (ListEntry.expires_on >= today)).limit(1)).first() is not None

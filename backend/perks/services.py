"""The perk catalogue (信易+ 权益目录): staff manage it; residents and firms see every perk with
whether they may have it and why (:func:`perks_for`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cards.access import require_firm_agent
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.evaluation.rules import rules_for
from backend.evaluation.services import get_evaluation
from backend.lists.models import BAN_DOMAINS
from backend.perks.eligibility import Assessment, assess
from backend.perks.models import PERK_CATEGORY_LABELS, VOUCHER_CATEGORIES, Perk, PerkCategory
from backend.platform.errors import Conflict, NotFound
from backend.records.queries import describe_departments
from backend.staff.models import OrgType, Role
from backend.staff.services import department_by_code, require_role
from backend.subjects.services import get_firm, require_identity

MANAGE_ROLES = (Role.CREDIT_ADMIN,)
READ_ROLES = (Role.CREDIT_ADMIN, Role.AUDITOR)
RULE_KEYS = frozenset({"min_grade", "min_score"})
# Which kind of organisation provides which perk: a bank lends, a department approves, a merchant
# scans vouchers (so its staff, role merchant, redeem them).
PROVIDER_TYPES = {
    PerkCategory.LOAN: {OrgType.BANK},
    PerkCategory.APPROVAL: {OrgType.GOVERNMENT, OrgType.CREDIT_OFFICE},
    PerkCategory.RENT: {OrgType.MERCHANT},
    PerkCategory.TRAVEL: {OrgType.MERCHANT},
    PerkCategory.TRANSIT: {OrgType.MERCHANT},
}


def _clean_rule(rule: dict[str, Any] | None, kinds: list[str]) -> dict[str, Any]:
    rule = dict(rule or {})
    unknown = set(rule) - RULE_KEYS
    if unknown:
        raise field_error("rule", "perk_rule_invalid", "准入规则只能包含 min_grade（最低等级）和 min_score（最低分）。")
    if rule.get("min_grade") is not None:
        for kind in kinds:
            keys = [g.key for g in rules_for(kind).grades]
            if rule["min_grade"] not in keys:
                raise field_error("rule", "perk_rule_invalid", f"最低等级应为以下之一：{'、'.join(keys)}。")
    else:
        rule.pop("min_grade", None)
    score = rule.get("min_score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 1000):
        raise field_error("rule", "perk_rule_invalid", "最低分应为0至1000的整数。")
    if score is None:
        rule.pop("min_score", None)
    return rule


def _clean_kinds(kinds: list[str] | None) -> list[str]:
    kinds = sorted(set(kinds or []))
    if not kinds or any(k not in ("firm", "person") for k in kinds):
        raise field_error("subject_kinds", "subject_kinds_invalid", "适用对象应为 firm（企业）和/或 person（个人）。")
    return kinds


def _clean_domain(domain: str | None) -> str | None:
    domain = clean_text(domain, "domain", "领域", False, 40)
    if domain is not None and domain not in BAN_DOMAINS:
        raise field_error("domain", "ban_domain_unknown", f"领域应为：{'、'.join(BAN_DOMAINS)}。")
    return domain


def create_perk(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    category: str,
    provider_code: str,
    subject_kinds: list[str],
    benefit: str,
    valid_from: date,
    rule: dict[str, Any] | None = None,
    domain: str | None = None,
    red_bonus: str | None = None,
    valid_until: date | None = None,
    quota: int | None = None,
    voucher_hours: int = 72,
) -> Perk:
    """Add a perk to the catalogue (信用办). The provider must be the right kind of organisation for
    the category (a bank for 信易贷, a merchant for vouchers): 422 ``provider_type``."""
    require_role(actor, MANAGE_ROLES, "只有信用办可以管理信易+权益目录。")
    code = clean_text(code, "code", "权益代码", True, 40)
    name = clean_text(name, "name", "权益名称", True, 100)
    benefit = clean_text(benefit, "benefit", "权益内容", True)
    red_bonus = clean_text(red_bonus, "red_bonus", "红名单加码", False)
    try:
        cat = PerkCategory(category)
    except ValueError:
        raise field_error("category", "perk_category_invalid", "权益类别应为 loan、approval、rent、travel 或 transit。") from None
    provider = department_by_code(session, provider_code)
    if provider.org_type not in PROVIDER_TYPES[cat]:
        raise field_error("provider_code", "provider_type", f"{PERK_CATEGORY_LABELS[cat]}的提供方类型不符。")
    kinds = _clean_kinds(subject_kinds)
    if valid_until is not None and valid_until < valid_from:
        raise field_error("valid_until", "valid_until_before_from", "截止日期不能早于开始日期。")
    if session.execute(select(Perk.id).where(Perk.code == code)).first():
        raise Conflict("perk_exists", "该权益代码已存在。")
    perk = Perk(code=code, name=name, category=cat, provider_id=provider.id, subject_kinds=kinds,
                domain=_clean_domain(domain), rule=_clean_rule(rule, kinds), benefit=benefit, red_bonus=red_bonus,
                valid_from=valid_from, valid_until=valid_until, quota=quota, issued=0, voucher_hours=voucher_hours,
                active=True)
    session.add(perk)
    session.flush()
    audit(session, actor, "perk.create", "perk", perk.id, code=code, provider_id=provider.id)
    return perk


def update_perk(session: Session, actor: Actor, perk_id: int, **changes: Any) -> Perk:
    """Change a perk's rule, benefit, validity, quota or suspend it (``active``); audited with the fields."""
    require_role(actor, MANAGE_ROLES, "只有信用办可以管理信易+权益目录。")
    perk = get_perk(session, perk_id)
    if "rule" in changes:
        changes["rule"] = _clean_rule(changes["rule"], perk.subject_kinds)
    if "benefit" in changes:
        changes["benefit"] = clean_text(changes["benefit"], "benefit", "权益内容", True)
    if "domain" in changes:
        changes["domain"] = _clean_domain(changes["domain"])
    if changes.get("quota") is not None and changes["quota"] < perk.issued:
        raise field_error("quota", "quota_below_issued", f"名额不能少于已发放的{perk.issued}张。")
    until = changes.get("valid_until", perk.valid_until)
    if until is not None and until < perk.valid_from:
        raise field_error("valid_until", "valid_until_before_from", "截止日期不能早于开始日期。")
    # The eligibility rule is the decision data a refusal rests on: keep what it was and became.
    rule_change = ({"rule_before": dict(perk.rule or {}), "rule_after": changes["rule"]}
                   if "rule" in changes and changes["rule"] != perk.rule else {})
    for key, value in changes.items():
        setattr(perk, key, value)
    session.flush()
    audit(session, actor, "perk.update", "perk", perk.id, fields=sorted(changes), **rule_change)
    return perk


def get_perk(session: Session, perk_id: int) -> Perk:
    perk = session.get(Perk, perk_id)
    if perk is None:
        raise NotFound("perk_not_found", "没有找到该权益。")
    return perk


def perk_by_code(session: Session, code: str) -> Perk:
    perk = session.execute(select(Perk).where(Perk.code == code)).scalar()
    if perk is None:
        raise NotFound("perk_not_found", "没有找到该权益。")
    return perk


def list_perks(session: Session, actor: Actor, *, category: str | None = None, page: int = 1,
               per_page: int = 50) -> Page[Perk]:
    """The catalogue for staff (信用办, 审计员), by category and code."""
    require_role(actor, READ_ROLES, "您的岗位不能查看权益目录。")
    stmt = select(Perk)
    if category:
        stmt = stmt.where(Perk.category == PerkCategory(category))
    return paginate(session, stmt, Perk.category, Perk.code, page=page, per_page=per_page)


def resolve_applicant(session: Session, actor: Actor, firm_uscc: str | None) -> tuple[int, str]:
    """The subject a mini-program user acts as: themself (实名), or a firm they represent or act for
    (the firm card's check: 403 ``not_firm_agent``)."""
    if firm_uscc:
        firm = get_firm(session, firm_uscc)
        require_firm_agent(session, actor, firm)
        return firm.id, "firm"
    return require_identity(actor, "请先完成实名认证，再查看信易+权益。"), "person"


def perks_for(session: Session, actor: Actor, *, firm_uscc: str | None = None,
              today: date | None = None) -> list[Assessment]:
    """Every perk of the catalogue, eligible or not, for me or a firm I act for, with the reasons."""
    subject_id, kind = resolve_applicant(session, actor, firm_uscc)
    result = get_evaluation(session, subject_id)
    perks = session.execute(select(Perk).order_by(Perk.category, Perk.code)).scalars()
    return [assess(session, p, subject_id, kind, today=today or china_today(), result=result) for p in perks]


def present_perks(session: Session, perks: list[Perk]) -> list[dict[str, Any]]:
    providers = describe_departments(session, (p.provider_id for p in perks))
    return [
        {"id": p.id, "code": p.code, "name": p.name, "category": p.category.value,
         "category_label": PERK_CATEGORY_LABELS[p.category], "provider": providers.get(p.provider_id),
         "subject_kinds": p.subject_kinds, "domain": p.domain, "rule": p.rule, "benefit": p.benefit,
         "red_bonus": p.red_bonus, "valid_from": p.valid_from, "valid_until": p.valid_until, "quota": p.quota,
         "issued": p.issued, "voucher": p.category in VOUCHER_CATEGORIES, "voucher_hours": p.voucher_hours,
         "active": p.active}
        for p in perks
    ]


def present_assessments(session: Session, items: list[Assessment]) -> list[dict[str, Any]]:
    """What the mini-program shows: the perk, eligible or not, each reason and what would change it."""
    perks = present_perks(session, [a.perk for a in items])
    return [
        {**perk, "eligible": a.eligible, "score": a.score, "grade": a.grade, "grade_label": a.grade_label,
         "reasons": [{"reason": r.reason, "message": r.message} for r in a.refusals],
         "advice": [r.advice for r in a.refusals if r.advice], "red_bonus_applies": a.red_bonus is not None,
         "remaining": None if a.perk.quota is None else max(a.perk.quota - a.perk.issued, 0)}
        for perk, a in zip(perks, items, strict=True)
    ]


"""Perks factory: a catalogue entry through the perks service (the rule validated as staff's would be)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from backend.common.actor import SYSTEM
from backend.perks.models import Perk
from backend.perks.services import create_perk
from backend.staff.models import Department, OrgType
from tests.factories.sequence import next_n
from tests.factories.staff import make_department

PROVIDER_TYPE = {"loan": OrgType.BANK, "approval": OrgType.GOVERNMENT}


def make_perk(db: Session, category: str = "travel", *, provider: Department | None = None,
              rule: dict | None = None, kinds: list[str] | None = None, domain: str | None = "文化旅游",
              quota: int | None = None, hours: int = 72, red_bonus: str | None = None) -> Perk:
    provider = provider or make_department(db, PROVIDER_TYPE.get(category, OrgType.MERCHANT))
    return create_perk(
        db, SYSTEM, code=f"P{next_n():05d}", name="信易游·景区讲解免费", category=category,
        provider_code=provider.code, subject_kinds=kinds or ["person"],
        rule={"min_grade": "good"} if rule is None else rule, domain=domain, benefit="免费讲解一次",
        red_bonus=red_bonus, valid_from=date(2026, 1, 1), quota=quota, voucher_hours=hours,
    )

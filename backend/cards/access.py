"""Who may see a firm's full card: its legal representative (法定代表人) and approved agents (授权经办人).

The rule belongs to the subjects context: :func:`backend.subjects.agency.can_act_for_firm`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.platform.errors import Forbidden
from backend.subjects.agency import can_act_for_firm
from backend.subjects.models import Firm


def require_firm_agent(session: Session, actor: Actor, firm: Firm) -> None:
    if not actor.is_account or not can_act_for_firm(session, actor, firm.id):
        raise Forbidden("not_firm_agent", "只有该企业的法定代表人或经审核授权的经办人可以查看完整信用名片。")

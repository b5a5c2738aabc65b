"""Public lists (``/public/v1/lists/{type}``): 红名单, 严重失信主体名单, 禁入 — firms only.

重点关注名单 is a supervision tool, not a publication; persons are never listed here (their
entries show on their own card only).
"""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import func, select

from backend.http.extensions import get_session
from backend.lists.models import LIST_TYPE_LABELS, ListEntry, ListEntryStatus, ListType
from backend.lists.schemas import PublicListPage, PublicListQuery
from backend.platform.errors import NotFound
from backend.records.models import CreditRecord, RecordStatus
from backend.staff.models import Department
from backend.subjects.models import Firm

blp = Blueprint("public_lists", __name__, url_prefix="/public/v1/lists", description="公开名单（红名单、严重失信、禁入）")

PUBLIC_TYPES = {"red": ListType.RED, "serious": ListType.SERIOUS, "ban": ListType.BAN}


@blp.route("/<string:list_type>")
@blp.arguments(PublicListQuery, location="query")
@blp.response(200, PublicListPage)
def public_list(args, list_type: str):
    """公开名单：仅企业等组织，在列的条目，按列入日期倒序"""
    kind = PUBLIC_TYPES.get(list_type.strip().lower())
    if kind is None:
        raise NotFound("list_not_public", "该名单不公开或不存在（可查询 red、serious、ban）。")
    session = get_session()
    base = (
        select(ListEntry, Firm.uscc, Firm.name, Department.short_name, CreditRecord.status)
        .join(Firm, Firm.id == ListEntry.subject_id)
        .join(Department, Department.id == ListEntry.department_id)
        .outerjoin(CreditRecord, CreditRecord.id == ListEntry.record_id)
        .where(ListEntry.list_type == kind, ListEntry.status == ListEntryStatus.ACTIVE)
    )
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page, per_page = args["page"], args["per_page"]
    rows = session.execute(
        base.order_by(ListEntry.listed_on.desc(), ListEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {"uscc": uscc, "name": name, "list_label": LIST_TYPE_LABELS[kind], "reason": e.reason,
         "decision_no": e.decision_no, "department": dept, "domain": e.domain, "listed_on": e.listed_on,
         "expires_on": e.expires_on,
         # the record the listing rests on is under objection (异议中) until decided
         "under_objection": record_status == RecordStatus.OBJECTED,
         "status_label": "异议中" if record_status == RecordStatus.OBJECTED else "在列"}
        for e, uscc, name, dept, record_status in rows
    ]
    return {"items": items, "total": total, "page": page, "per_page": per_page}

"""Public lists (``/public/v1/lists/{type}``): 红名单, 严重失信主体名单, 禁入 — firms only.

重点关注名单 is a supervision tool, not a publication; persons are never listed here (their
entries show on their own card only).
"""

from __future__ import annotations

from flask_smorest import Blueprint

from backend.http.extensions import get_session
from backend.lists import services
from backend.lists.models import ListType
from backend.lists.schemas import PublicListPage, PublicListQuery, present_public_entries
from backend.platform.errors import NotFound

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
    page = services.public_list_entries(session, kind, page=args["page"], per_page=args["per_page"])
    return page.with_items(present_public_entries(session, page.items))

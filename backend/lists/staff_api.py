"""Staff API for credit lists (``/staff/v1/lists``): list, remove, search.

信用办管理员 and 部门审核员 (own department) write; 审计员 reads; everyone else 403.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.lists import services
from backend.lists.schemas import ListEntryIn, ListEntryOut, ListPageOut, ListQuery, RemoveIn, present_entries
from backend.staff.models import Role

blp = Blueprint("staff_lists", __name__, url_prefix="/staff/v1/lists", description="信用名单认定与移出（工作台）")

WRITE_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER)
READ_ROLES = (*WRITE_ROLES, Role.AUDITOR)
SECURITY = [{"bearer": []}]


@blp.route("")
class Lists(MethodView):
    @staff_required(READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, ListPageOut)
    def get(self, args):
        """查询名单（部门审核员仅本部门）"""
        session = get_session()
        page = services.list_entries(session, current_actor(), **args)
        return page.with_items(present_entries(session, page.items))

    @staff_required(WRITE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(ListEntryIn)
    @blp.response(201, ListEntryOut)
    def post(self, data):
        """将主体列入名单（严重失信、禁入：提交提议，经信用办确认后生效）"""
        session = get_session()
        entry = services.add_list_entry(session, current_actor(), **data)
        return present_entries(session, [entry])[0]


@blp.route("/<int(max=2147483647):entry_id>/remove", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(RemoveIn)
@blp.response(200, ListEntryOut)
def remove(data, entry_id: int):
    """将主体移出名单"""
    session = get_session()
    entry = services.remove_list_entry(session, current_actor(), entry_id, data["reason"])
    return present_entries(session, [entry])[0]

"""Staff API of the review-queue engine (``/staff/v1/queues``): list, read, claim, release,
reassign / re-route, decide; statistics per department and kind.

信用办管理员 and 部门审核员 (own department) act; 审计员 reads; everyone else 403.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.queues import reports, services
from backend.queues.schemas import (
    QueueDecideIn,
    QueueItemDetailOut,
    QueueItemPageOut,
    QueueItemQuery,
    QueueNoteIn,
    QueueReassignIn,
    QueueStatsOut,
    QueueStatsQuery,
    default_range,
    present_items,
    present_stats,
)

blp = Blueprint("staff_queues", __name__, url_prefix="/staff/v1/queues", description="工作台：待办事项（审核队列）")
SECURITY = [{"bearer": []}]
ITEM = "/items/<int(max=2147483647):item_id>"


def _detail(item) -> dict:
    return present_items(get_session(), [item], detail=True)[0]


@blp.route("/items")
@staff_required(services.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(QueueItemQuery, location="query")
@blp.response(200, QueueItemPageOut)
def list_items(args):
    """待办事项（部门审核员仅本部门）：未办结的按到期日先后，含超期、即将到期标记"""
    session = get_session()
    page = services.list_items(session, current_actor(), **args)
    return {"items": present_items(session, page.items), "total": page.total, "page": page.page,
            "per_page": page.per_page}


@blp.route(ITEM)
@staff_required(services.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, QueueItemDetailOut)
def get_item(item_id: int):
    """查看一项待办：办理时限及其依据、可作的决定、办理经过"""
    return _detail(services.get_item(get_session(), current_actor(), item_id))


@blp.route(f"{ITEM}/claim", methods=["POST"])
@staff_required(services.WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, QueueItemDetailOut)
@blp.alt_response(409, description="已被他人认领（item_claimed）或已办结（queue_item_closed）")
def claim(item_id: int):
    """认领（两人同时认领时只有一人成功）"""
    return _detail(services.claim(get_session(), current_actor(), item_id))


@blp.route(f"{ITEM}/release", methods=["POST"])
@staff_required(services.WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(QueueNoteIn)
@blp.response(200, QueueItemDetailOut)
def release(data, item_id: int):
    """退回部门待办（本人或信用办）"""
    return _detail(services.release(get_session(), current_actor(), item_id, data.get("note")))


@blp.route(f"{ITEM}/reassign", methods=["POST"])
@staff_required(services.WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(QueueReassignIn)
@blp.response(200, QueueItemDetailOut)
def reassign(data, item_id: int):
    """转办给本部门同事，或（信用办）改派到其他部门"""
    return _detail(services.reassign(get_session(), current_actor(), item_id, **data))


@blp.route(f"{ITEM}/decide", methods=["POST"])
@staff_required(services.WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(QueueDecideIn)
@blp.response(200, QueueItemDetailOut)
@blp.alt_response(409, description="由他人办理中（item_held_by_other）或已办结（queue_item_closed）")
def decide(data, item_id: int):
    """作出决定并写明理由；办结或转入下一步（新的办理时限）"""
    outcome, reason = data.pop("outcome"), data.pop("reason")
    return _detail(services.decide(get_session(), current_actor(), item_id, outcome=outcome, reason=reason,
                                   data=data))


@blp.route("/stats")
@staff_required(services.READ_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(QueueStatsQuery, location="query")
@blp.response(200, QueueStatsOut)
def stats(args):
    """按部门和类别统计：在办、超期（当前），区间内按时办结与超时办结"""
    session = get_session()
    date_from, date_to = default_range(args)
    rows = reports.queue_stats(session, current_actor(), date_from=date_from, date_to=date_to,
                               department_code=args.get("department_code"), kind=args.get("kind"))
    return {"date_from": date_from, "date_to": date_to, "rows": present_stats(session, rows)}

"""Public 查询码 lookup of a repair application (``/public/v1/repairs``): status and dates only.

Rate limited per IP like every ``/public/v1`` read (``RATELIMIT_PUBLIC``, backend/http/ratelimit.py).
"""

from __future__ import annotations

from flask_smorest import Blueprint

from backend.http.extensions import get_session
from backend.repair.schemas import PublicRepairOut, present_public
from backend.repair.services import public_status

blp = Blueprint("public_repairs", __name__, url_prefix="/public/v1/repairs", description="公共查询：信用修复办理进度")


@blp.route("/<string:query_code>")
@blp.response(200, PublicRepairOut)
@blp.alt_response(404, description="查询码不存在（repair_not_found）")
def get_by_code(query_code: str):
    """凭查询码查询信用修复申请的办理状态和日期（不区分大小写，不含任何个人信息）"""
    return present_public(public_status(get_session(), query_code))

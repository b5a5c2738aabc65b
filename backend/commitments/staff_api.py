"""Staff API for credit commitments (``/staff/v1/commitments``): register, close, search.

信用办管理员 and 部门审核员 (own department) write; 审计员 reads; everyone else 403.
"""

from __future__ import annotations

import tempfile

from flask import current_app, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.commitments import breaches, reports, services
from backend.commitments.schemas import (
    BreachIn,
    CloseIn,
    CommitmentIn,
    CommitmentOut,
    CommitmentPageOut,
    CommitmentQuery,
    present_commitments,
)
from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.http.ratelimit import heavy_read
from backend.platform.config import printed_base_url
from backend.staff.models import Role

blp = Blueprint("staff_commitments", __name__, url_prefix="/staff/v1/commitments",
                description="信用承诺登记与核查（工作台）")

WRITE_ROLES = services.WRITE_ROLES
READ_ROLES = (*WRITE_ROLES, Role.AUDITOR)
SECURITY = [{"bearer": []}]


@blp.route("")
class Commitments(MethodView):
    @staff_required(READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(CommitmentQuery, location="query")
    @blp.response(200, CommitmentPageOut)
    def get(self, args):
        """查询信用承诺（部门审核员仅本部门），按签署日期倒序"""
        session = get_session()
        page = services.search_commitments(session, current_actor(), **args)
        return page.with_items(present_commitments(session, page.items))

    @staff_required(WRITE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(CommitmentIn)
    @blp.response(201, CommitmentOut)
    def post(self, data):
        """登记主体签署的信用承诺"""
        session = get_session()
        commitment = services.register_commitment(session, current_actor(), **data)
        return present_commitments(session, [commitment])[0]


@blp.route("/<int(max=2147483647):commitment_id>")
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY)
@blp.response(200, CommitmentOut)
def get_one(commitment_id: int):
    """查看一条信用承诺"""
    session = get_session()
    commitment = services.view_commitment(session, current_actor(), commitment_id)
    return present_commitments(session, [commitment])[0]


@blp.route("/<int(max=2147483647):commitment_id>/close", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(CloseIn)
@blp.response(200, CommitmentOut)
def close(data, commitment_id: int):
    """核查承诺：已履约、已违诺或已撤销"""
    session = get_session()
    commitment = services.close_commitment(session, current_actor(), commitment_id, **data)
    return present_commitments(session, [commitment])[0]


@blp.route("/<int(max=2147483647):commitment_id>/breach", methods=["POST"])
@staff_required(WRITE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(BreachIn)
@blp.response(200, CommitmentOut)
def breach(data, commitment_id: int):
    """认定违诺：生成“违背信用承诺”记录、承诺记为已违诺、列入重点关注名单（一次操作）"""
    session = get_session()
    commitment, _, _ = breaches.record_breach(session, current_actor(), commitment_id, **data)
    return present_commitments(session, [commitment])[0]


@blp.route("/reports/<string:month>/<string:table>.xlsx")
@staff_required(READ_ROLES)
@blp.doc(security=SECURITY, responses={"200": {"description": "XLSX", "content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
@heavy_read
def report(month: str, table: str):
    """月度报表下载：registration 信用承诺登记表 / breaches 违诺信息表（部门审核员仅本部门）"""
    first = reports.parse_month(month)
    # Spooled: a small month stays in memory, a large one goes to disk instead of growing the worker.
    buf = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    # The links in the sheet are printed and passed on: never built from the request's Host header.
    reports.write_report(get_session(), current_actor(), table, first, buf,
                         base_url=printed_base_url(current_app.config))
    buf.seek(0)
    return send_file(buf, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=reports.report_filename(table, first))

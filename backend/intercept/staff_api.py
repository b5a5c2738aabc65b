"""Staff API of compare and intercept (``/staff/v1/intercept``): departments' systems check subjects;
the credit office searches the interception log."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.intercept import services
from backend.intercept.schemas import CheckIn, CheckOut, LogPageOut, LogQuery

blp = Blueprint("staff_intercept", __name__, url_prefix="/staff/v1/intercept",
                description="自动比对、自动拦截：部门业务系统比对名单与禁入，拦截日志")
SECURITY = [{"bearer": []}]


@blp.route("/check", methods=["POST"])
@staff_required(services.CHECK_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(CheckIn)
@blp.response(200, CheckOut)
def check(data):
    """比对最多10000个主体：严重失信名单及本领域市场和行业禁入；无效代码逐条说明，不影响其他主体。"""
    session = get_session()
    result = services.check_subjects(session, current_actor(), data["subjects"], data["domain"])
    return {"check_id": result.check_id, "domain": result.domain, "total": result.total,
            "hit_count": len(result.hits), "invalid": result.invalid, "unknown": result.unknown,
            "hits": services.present_hits(session, result.hits)}


@blp.route("/log")
class Log(MethodView):
    @staff_required(services.LOG_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(LogQuery, location="query")
    @blp.response(200, LogPageOut)
    def get(self, args):
        """拦截日志：谁在何时为何比对、命中哪些主体（信用办、审计员）。"""
        session = get_session()
        page = services.search_log(session, current_actor(), **args)
        return page.with_items(services.present_log(session, list(page.items)))

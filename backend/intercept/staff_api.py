"""Staff API of compare and intercept (``/staff/v1/intercept``): departments' systems check subjects;
the credit office searches the interception log."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.intercept import services
from backend.intercept.schemas import CheckIn, CheckOut, LogPageOut, LogQuery
from backend.records.queries import describe_departments, describe_subjects

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
        hits = services.hits_of(session, [c.id for c in page.items])
        subjects = describe_subjects(session, (h.subject_id for hs in hits.values() for h in hs))
        depts = describe_departments(session, (c.department_id for c in page.items if c.department_id))
        return page.with_items([
            {"id": c.id, "at": c.at, "actor": c.actor, "department": depts.get(c.department_id),
             "purpose": c.purpose, "domain": c.domain, "perk_id": c.perk_id, "subjects": c.subjects,
             "invalid": c.invalid, "blocked": c.blocked,
             "hits": [{"subject": subjects.get(h.subject_id, {}), "list_type": h.list_type,
                       "list_entry_id": h.list_entry_id} for h in hits[c.id]]}
            for c in page.items
        ])

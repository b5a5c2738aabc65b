"""Public firm lookup (``/public/v1/firms/{uscc}``): registration basics, no login.

Only public information: the legal representative's name is masked, nothing personal is shown.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.extensions import get_session
from backend.subjects.schemas import FirmPublicSchema
from backend.subjects.services import get_firm

blp = Blueprint(
    "public_firms",
    __name__,
    url_prefix="/public/v1/firms",
    description="公开查询：企业（主体）登记基本信息",
)


@blp.route("/<string:uscc>")
class FirmPublic(MethodView):
    @blp.response(200, FirmPublicSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
    @blp.alt_response(404, description="代码有效，但没有找到该主体（reason: firm_not_found）")
    @blp.alt_response(422, description="代码无效（reason: uscc_length、uscc_check_digit …）")
    def get(self, uscc: str):
        """按统一社会信用代码查询主体登记基本信息（可输入小写、空格、全角字符）。"""
        firm = get_firm(get_session(), uscc)
        return firm, 200, {"Cache-Control": "public, max-age=300"}

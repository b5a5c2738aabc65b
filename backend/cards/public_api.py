"""Public card endpoints (``/public/v1``), no login: a firm's public card and shared cards.

What is public on a firm's card is :data:`backend.cards.services.PUBLIC_POLICY`.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.cards.schemas import PublicCardSchema, SharedCardSchema
from backend.cards.services import public_firm_card_json, shared_card
from backend.common.actor import Actor
from backend.http.card_responses import NOT_MODIFIED, card_cache, card_response
from backend.http.extensions import get_session

blp = Blueprint("public_cards", __name__, url_prefix="/public/v1", description="公开查询：企业公开信用名片、分享的信用名片")


@blp.route("/firms/<string:uscc>/card")
class PublicFirmCard(MethodView):
    @blp.response(200, PublicCardSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.alt_response(404, description="没有该主体（reason: firm_not_found）")
    @blp.alt_response(422, description="代码无效（reason: uscc_check_digit …）")
    def get(self, uscc: str):
        """企业公开信用名片：评价等级及公开理由、公开名单状态、正在公示的记录数量；不含个人信息。"""
        return card_response(public_firm_card_json(get_session(), uscc, card_cache()), public=True)


@blp.route("/cards/<string:token>")
class SharedCard(MethodView):
    @blp.response(200, SharedCardSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.alt_response(404, description="链接无效或被篡改（reason: share_invalid）")
    @blp.alt_response(410, description="已过期（share_expired）或已撤销（share_revoked）")
    def get(self, token: str):
        """查看他人分享的信用名片（实时内容，身份信息打码）。"""
        viewer = Actor("system", ip=request.remote_addr)
        card = shared_card(get_session(), viewer, current_app.config["SECRET_KEY"], token, card_cache())
        return card_response(current_app.json.dumps(card).encode())

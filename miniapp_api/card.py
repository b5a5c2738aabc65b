"""Mini-program: my credit card (信用名片), a firm's card for its representative or agents, and
sharing my card with a signed link and QR code."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.cards import qr
from backend.cards.schemas import CardSchema, ShareCreatedSchema, ShareCreateSchema, ShareListSchema, ShareSchema
from backend.cards.services import firm_card_json, my_card_json
from backend.cards.sharing import (
    SHARE_STATE_LABELS,
    ShareState,
    create_share,
    get_own_share,
    list_shares,
    revoke_share,
    share_state,
    share_token,
)
from backend.http.auth import account_card_required, account_required, current_actor, current_card_version
from backend.http.card_responses import NOT_MODIFIED, card_cache, card_response
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.http.urls import public_url
from backend.subjects.services import require_identity

blp = Blueprint("miniapp_card", __name__, url_prefix="/miniapp/v1", description="小程序：信用名片与分享")
SECURITY = [{"bearer": []}]


def share_url(token: str) -> str:
    """Absolute public URL of a share (see :func:`backend.http.urls.public_url`)."""
    return public_url(f"/public/v1/cards/{token}")


def _person_id() -> int:
    return require_identity(current_actor(), "请先完成实名认证，再使用信用名片。")


def _share_view(share) -> dict:
    state = share_state(share)
    token = share_token(current_app.config["SECRET_KEY"], share)
    return {
        "id": share.id, "status": str(state), "status_label": SHARE_STATE_LABELS[state],
        "created_at": share.created_at, "expires_at": share.expires_at, "revoked_at": share.revoked_at,
        "view_count": share.view_count, "last_viewed_at": share.last_viewed_at,
        "url": share_url(token) if state is ShareState.ACTIVE else None,
    }


@blp.route("/me/card")
class MyCard(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, CardSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.alt_response(403, description="未实名（reason: identity_required）")
    @account_card_required
    def get(self):
        """我的信用名片：诚信分及分段、加减分依据、名单状态、记录、信用承诺（身份信息脱敏；完整信息见 GET /miniapp/v1/me?reveal=true）。"""
        return card_response(my_card_json(get_session(), current_actor(), card_cache(), version=current_card_version()))


@blp.route("/firms/<string:uscc>/card")
class FirmCard(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, CardSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.alt_response(403, description="不是该企业的法定代表人或授权经办人（reason: not_firm_agent）")
    @blp.alt_response(404, description="没有该主体（reason: firm_not_found）")
    @blp.alt_response(422, description="代码无效（reason: uscc_check_digit …）")
    @account_required
    def get(self, uscc: str):
        """企业信用名片（仅法定代表人和经审核授权的经办人）。"""
        return card_response(firm_card_json(get_session(), current_actor(), uscc, card_cache()))


@blp.route("/me/card/share")
class MyCardShare(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(ShareCreateSchema)
    @blp.response(201, ShareCreatedSchema)
    @blp.alt_response(422, description="有效期超出范围（reason: ttl_out_of_range）")
    def post(self, data):
        """分享我的信用名片：生成限时有效的链接和二维码（默认10分钟，最长24小时）。"""
        session = get_session()
        share = create_share(session, current_actor(), subject_id=_person_id(), ttl_seconds=data["ttl_seconds"])
        token = share_token(current_app.config["SECRET_KEY"], share)
        url = share_url(token)
        return {"id": share.id, "token": token, "url": url, "expires_at": share.expires_at,
                "qr_png": qr.qr_png_base64(url), "qr_svg": qr.qr_svg(url)}


@blp.route("/me/card/shares")
class MyCardShares(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ShareListSchema)
    @account_required
    def get(self):
        """我的分享记录：状态和查看次数。"""
        return {"items": [_share_view(s) for s in list_shares(get_session(), current_actor())]}


@blp.route("/me/card/shares/<int:share_id>")
class MyCardShareItem(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.response(200, ShareSchema)
    @blp.alt_response(404, description="没有这条分享（reason: share_not_found）")
    def delete(self, share_id: int):
        """撤销分享：链接立即失效。"""
        return _share_view(revoke_share(get_session(), current_actor(), share_id))


@blp.route("/me/card/shares/<int:share_id>/qr.png")
class MyCardShareQR(MethodView):
    @blp.doc(security=SECURITY, responses={"200": {"description": "二维码图片", "content": {"image/png": {}}}})
    @account_required
    def get(self, share_id: int):
        """分享链接的二维码（PNG 图片）。"""
        share = get_own_share(get_session(), current_actor(), share_id)
        url = share_url(share_token(current_app.config["SECRET_KEY"], share))
        resp = current_app.response_class(qr.qr_png(url), mimetype="image/png")
        resp.headers["Cache-Control"] = "private, max-age=300"
        return resp

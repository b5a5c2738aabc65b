"""Mini-program: 信易+ perks (every perk, eligible or not, and why) and vouchers (claim, show the QR)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.cards import qr
from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.perks import services, vouchers
from backend.perks.schemas import ClaimIn, PerksForMeOut, PerksQuery, VoucherListOut, VoucherOut

blp = Blueprint("miniapp_perks", __name__, url_prefix="/miniapp/v1", description="小程序：信易+权益与权益券")
SECURITY = [{"bearer": []}]


@blp.route("/perks")
class Perks(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(PerksQuery, location="query")
    @blp.response(200, PerksForMeOut)
    @account_required
    def get(self, args):
        """全部信易+权益：能否享受、原因和怎样才能享受（?firm= 查看我代表或经办的企业）"""
        session = get_session()
        items = services.perks_for(session, current_actor(), firm_uscc=args["firm"])
        return {"items": services.present_assessments(session, items)}


@blp.route("/vouchers")
class Vouchers(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, VoucherListOut)
    @account_required
    def get(self):
        """我的权益券（未使用的附券码和二维码）"""
        session = get_session()
        secret = current_app.config["SECRET_KEY"]
        items = vouchers.present_vouchers(session, vouchers.my_vouchers(session, current_actor()), secret)
        for item in items:
            item["qr_png"] = qr.qr_png_base64(item["code"]) if item["code"] else None
        return {"items": items}

    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(ClaimIn)
    @blp.response(201, VoucherOut)
    def post(self, data):
        """领取权益券：一次性、限时有效的签名券码和二维码（名单比对通过、符合准入条件、名额未满）"""
        session = get_session()
        voucher = vouchers.claim_voucher(session, current_actor(), perk_code=data["perk_code"], firm_uscc=data["firm"])
        out = vouchers.present_vouchers(session, [voucher], current_app.config["SECRET_KEY"])[0]
        out["qr_png"] = qr.qr_png_base64(out["code"])
        return out

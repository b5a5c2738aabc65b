"""Staff API of 信易+ (``/staff/v1/perks``, ``/staff/v1/vouchers``): the credit office manages the
catalogue; a merchant's staff redeem scanned vouchers."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.perks import services, vouchers
from backend.perks.schemas import PerkIn, PerkOut, PerkPageOut, PerkPatch, PerkQuery, RedeemedOut, RedeemIn
from backend.staff.models import Role

blp = Blueprint("staff_perks", __name__, url_prefix="/staff/v1", description="信易+：权益目录管理与权益券核销（工作台）")
SECURITY = [{"bearer": []}]


@blp.route("/perks")
class Perks(MethodView):
    @staff_required(services.READ_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(PerkQuery, location="query")
    @blp.response(200, PerkPageOut)
    def get(self, args):
        """信易+权益目录"""
        session = get_session()
        page = services.list_perks(session, current_actor(), **args)
        return page.with_items(services.present_perks(session, list(page.items)))

    @staff_required(services.MANAGE_ROLES)
    @blp.doc(security=SECURITY)
    @blp.arguments(PerkIn)
    @blp.response(201, PerkOut)
    def post(self, data):
        """新增权益（信用办）：提供方、适用对象、准入规则、权益内容、有效期、名额"""
        session = get_session()
        return services.present_perks(session, [services.create_perk(session, current_actor(), **data)])[0]


@blp.route("/perks/<int:perk_id>", methods=["PATCH"])
@staff_required(services.MANAGE_ROLES)
@blp.doc(security=SECURITY)
@blp.arguments(PerkPatch)
@blp.response(200, PerkOut)
def patch(data, perk_id: int):
    """修改权益（规则、内容、有效期、名额、暂停）"""
    session = get_session()
    return services.present_perks(session, [services.update_perk(session, current_actor(), perk_id, **data)])[0]


@blp.route("/vouchers/redeem", methods=["POST"])
@staff_required((Role.MERCHANT,))
@blp.doc(security=SECURITY)
@blp.arguments(RedeemIn)
@blp.response(200, RedeemedOut)
def redeem(data):
    """核销扫到的权益券（仅本商户的券；一张券只能核销一次；持券人只显示脱敏姓名）"""
    session = get_session()
    voucher = vouchers.redeem_voucher(session, current_actor(), data["code"], secret=current_app.config["SECRET_KEY"])
    return vouchers.present_redeemed(session, voucher)

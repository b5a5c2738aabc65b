"""The merchant's scan page (核销权益券, issue 13 item 7): the cashier scans or pastes a voucher code and
redeems it through :func:`backend.perks.vouchers.redeem_voucher`, the same service as
``POST /staff/v1/vouchers/redeem``.

The cashier sees the holder's masked name, the perk and the result, nothing else of the holder; a
refusal shows its reason in Chinese (forged, expired, already redeemed, another merchant's,
intercepted). An interception is logged by the service (its row outlives the refusal); the page tells
the cashier the voucher is blocked without repeating which list the holder is on. A resent form (two
clicks, a reload) is not processed twice (the one-time key), and a second redemption of one code is
refused by the service's conditional UPDATE.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for

from backend.http.extensions import get_session
from backend.perks import vouchers
from backend.platform.errors import DomainError
from backend.staff.console.web import bp, console_actor, first_submission, page, staff_page
from backend.staff.models import Role

REDEEM_ROLES = (Role.MERCHANT,)
CODE_MAX = 512  # a signed code is ~60 characters; anything longer is not one of ours
# What the cashier reads for each refusal of the service (its ``reason``), in the counter's words.
REFUSALS = {
    "voucher_forged": "券码无效",
    "voucher_expired": "券已过期",
    "voucher_already_redeemed": "券已核销过",
    "voucher_other_merchant": "非本店权益券",
    "intercepted": "自动拦截",
}
INTERCEPTED_MESSAGE = ("持券人目前在信用惩戒名单或禁入范围内，系统已自动拦截，该券不能使用。"
                       "如有疑问，请持券人向区信用办咨询。")


@bp.route("/vouchers/redeem", methods=["GET", "POST"])
@staff_page(REDEEM_ROLES, "只有合作商户的工作人员可以核销权益券。")
def voucher_redeem():
    if request.method == "GET":
        return page("voucher_redeem.html", result=None, refusal=None, errors={})
    code = (request.form.get("code") or "").strip()
    if not code:
        return page("voucher_redeem.html", 422, result=None, refusal=None, errors={"code": ["请扫描或粘贴券码。"]})
    if not first_submission():
        flash("该券码刚刚已提交过一次，未重复核销。", "info")
        return redirect(url_for("console.voucher_redeem"), code=303)
    session = get_session()
    try:
        voucher = vouchers.redeem_voucher(session, console_actor(), code[:CODE_MAX],
                                          secret=current_app.config["SECRET_KEY"])
    except DomainError as err:
        if err.reason not in REFUSALS:  # not signed in, wrong role …: the console's own error page
            raise
        message = INTERCEPTED_MESSAGE if err.reason == "intercepted" else err.message
        refusal = {"reason": err.reason, "label": REFUSALS[err.reason], "message": message}
        return page("voucher_redeem.html", err.status, result=None, refusal=refusal, errors={})
    return page("voucher_redeem.html", result=vouchers.present_redeemed(session, voucher), refusal=None, errors={})

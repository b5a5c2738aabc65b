"""Vouchers (权益券) of 信易租 / 信易游 / 信易行: claimed in the mini-program, scanned and redeemed once
by the providing merchant's staff.

The code in the QR is signed (itsdangerous, its own salt) and names the voucher and a random nonce,
so a made-up or altered code fails the signature and a guessed id fails the nonce. Claiming counts
against the perk's quota with one conditional UPDATE (``issued < quota``), redeeming is one conditional
UPDATE (``status = 'issued'``): of two racing claims for the last voucher, or two racing scans of one
code, exactly one wins. Both pass compare and intercept at that moment; a blocked attempt is logged
and its log row kept (``commit_on_refusal``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.crypto import mask_name
from backend.intercept.services import check_subjects
from backend.perks.eligibility import assess
from backend.perks.models import PERK_CATEGORY_LABELS, VOUCHER_CATEGORIES, Perk, Voucher, VoucherStatus
from backend.perks.services import perk_by_code, resolve_applicant
from backend.platform.db import commit_on_refusal, utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.records.queries import describe_departments
from backend.staff.models import Role
from backend.staff.services import require_role
from backend.subjects.models import Firm, Person

VOUCHER_SALT = "perk-voucher"


def voucher_code(secret: str, voucher: Voucher) -> str:
    """The string in the QR code: signed, names the voucher and its nonce."""
    return URLSafeSerializer(secret, salt=VOUCHER_SALT).dumps({"v": voucher.id, "n": voucher.nonce})


def _subject_code(session: Session, subject_id: int) -> str:
    firm = session.get(Firm, subject_id)
    if firm is not None:
        return firm.uscc
    person = session.get(Person, subject_id)
    if person is None:
        raise NotFound("subject_not_found", "没有找到该主体。")
    return person.id_number


def _intercept(session: Session, actor: Actor, perk: Perk, subject_id: int, purpose: str) -> None:
    """Compare and intercept now; a hit is refused with the list, basis and period, and logged."""
    result = check_subjects(session, actor, [_subject_code(session, subject_id)], perk.domain, purpose=purpose,
                            perk_id=perk.id)
    if result.hits:
        commit_on_refusal(session)  # keep the interception log's row (nothing else has changed)
        raise Forbidden("intercepted", result.hits[0].plain() + "在列期间不能享受信易+权益。")


def claim_voucher(session: Session, actor: Actor, *, perk_code: str, firm_uscc: str | None = None) -> Voucher:
    """Claim one voucher of a voucher perk for me (or a firm I act for).

    Refused: not a voucher perk (422 ``perk_not_voucher``), on a list or banned in the perk's domain
    (403 ``intercepted``), not eligible (403 with the reason, e.g. ``score_too_low``), a voucher of the
    perk still unused (409 ``voucher_already_claimed``), the quota used up (409 ``quota_exhausted``).
    """
    perk = perk_by_code(session, perk_code)
    if perk.category not in VOUCHER_CATEGORIES:
        raise ValidationFailed("perk_not_voucher", f"{PERK_CATEGORY_LABELS[perk.category]}不发放权益券，请按办理指南申请。")
    subject_id, kind = resolve_applicant(session, actor, firm_uscc)
    if kind in (perk.subject_kinds or []):
        _intercept(session, actor, perk, subject_id, "perk_claim")
    verdict = assess(session, perk, subject_id, kind)
    if not verdict.eligible:
        first = verdict.first
        message = first.message + (first.advice or "")
        raise (Conflict if first.reason == "quota_exhausted" else Forbidden)(first.reason, message)
    now = utcnow()
    live = session.execute(select(Voucher.id).where(
        Voucher.account_id == actor.id, Voucher.perk_id == perk.id, Voucher.status == VoucherStatus.ISSUED,
        Voucher.expires_at > now).limit(1)).first()
    if live is not None:
        raise Conflict("voucher_already_claimed", "您已领取过该券且尚未使用，请在“我的权益券”中出示。")
    taken = cast(CursorResult[Any], session.execute(
        update(Perk).where(Perk.id == perk.id, or_(Perk.quota.is_(None), Perk.issued < Perk.quota))
        .values(issued=Perk.issued + 1).execution_options(synchronize_session=False)))
    if taken.rowcount != 1:
        raise Conflict("quota_exhausted", "该权益的名额已发完。")
    voucher = Voucher(perk_id=perk.id, account_id=actor.id, subject_id=subject_id, merchant_id=perk.provider_id,
                      nonce=secrets.token_hex(16), status=VoucherStatus.ISSUED, issued_at=now,
                      expires_at=now + timedelta(hours=perk.voucher_hours))
    session.add(voucher)
    session.flush()
    audit(session, actor, "voucher.claim", "voucher", voucher.id, perk_id=perk.id, subject_id=subject_id)
    return voucher


def my_vouchers(session: Session, actor: Actor) -> list[Voucher]:
    """The vouchers this account claimed, newest first."""
    return list(session.execute(select(Voucher).where(Voucher.account_id == actor.id)
                                .order_by(Voucher.issued_at.desc(), Voucher.id.desc()).limit(100)).scalars())


def _decode(secret: str, code: str) -> tuple[int, str]:
    try:
        data = URLSafeSerializer(secret, salt=VOUCHER_SALT).loads((code or "").strip())
        return int(data["v"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed("voucher_forged", "券码无效：不是本平台发放的券，或已被篡改。") from None


def redeem_voucher(session: Session, actor: Actor, code: str, *, secret: str, now: datetime | None = None) -> Voucher:
    """Redeem a scanned voucher (核销) at the merchant that provides it; once only.

    Refused, each with its reason: forged or altered code (422 ``voucher_forged``), another merchant's
    voucher (403 ``voucher_other_merchant``), already redeemed (409 ``voucher_already_redeemed``, also
    for the loser of two racing scans), expired (410 ``voucher_expired``), holder listed since
    (403 ``intercepted``, logged).
    """
    require_role(actor, (Role.MERCHANT,), "只有合作商户的工作人员可以核销权益券。")
    voucher_id, nonce = _decode(secret, code)
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or not secrets.compare_digest(voucher.nonce, nonce):
        raise ValidationFailed("voucher_forged", "券码无效：不是本平台发放的券，或已被篡改。")
    if voucher.merchant_id != actor.department_id:
        raise Forbidden("voucher_other_merchant", "该券不是本商户的权益券，不能在本店核销。")
    if voucher.status == VoucherStatus.REDEEMED:
        raise Conflict("voucher_already_redeemed", "该券已核销过，不能重复使用。")
    now = now or utcnow()
    if voucher.expires_at <= now:
        raise ValidationFailed("voucher_expired", "该券已过期，请持券人重新领取。", status=410)
    perk = session.get(Perk, voucher.perk_id)
    assert perk is not None  # a foreign key
    _intercept(session, actor, perk, voucher.subject_id, "voucher_redeem")
    done = cast(CursorResult[Any], session.execute(
        update(Voucher).where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.ISSUED,
                              Voucher.expires_at > now)
        .values(status=VoucherStatus.REDEEMED, redeemed_at=now, redeemed_by_id=actor.id)
        .execution_options(synchronize_session=False)))
    if done.rowcount != 1:
        raise Conflict("voucher_already_redeemed", "该券已核销过，不能重复使用。")
    session.refresh(voucher)
    audit(session, actor, "voucher.redeem", "voucher", voucher.id, perk_id=perk.id)
    return voucher


def present_redeemed(session: Session, voucher: Voucher) -> dict[str, Any]:
    """What the merchant sees: the perk, the benefit, when, and the holder's masked name only."""
    perk = session.get(Perk, voucher.perk_id)
    assert perk is not None
    firm = session.get(Firm, voucher.subject_id)
    if firm is not None:
        holder = firm.name
    else:
        person = session.get(Person, voucher.subject_id)
        holder = (mask_name(person.name) if person else None) or ""
    return {"id": voucher.id, "perk": perk.name, "benefit": perk.benefit, "holder": holder,
            "status": voucher.status.value, "redeemed_at": voucher.redeemed_at}


def present_vouchers(session: Session, items: list[Voucher], secret: str) -> list[dict[str, Any]]:
    """The holder's view of their vouchers; the code only while it can still be used."""
    perks = {p.id: p for p in session.execute(select(Perk).where(Perk.id.in_({v.perk_id for v in items}))).scalars()}
    merchants = describe_departments(session, (v.merchant_id for v in items))
    now = utcnow()
    out = []
    for v in items:
        usable = v.status == VoucherStatus.ISSUED and v.expires_at > now
        status = v.status.value if v.status == VoucherStatus.REDEEMED or usable else "expired"
        out.append({"id": v.id, "perk_code": perks[v.perk_id].code, "perk_name": perks[v.perk_id].name,
                    "benefit": perks[v.perk_id].benefit, "merchant": merchants.get(v.merchant_id, {}).get("short_name"),
                    "status": status, "issued_at": v.issued_at, "expires_at": v.expires_at,
                    "redeemed_at": v.redeemed_at, "code": voucher_code(secret, v) if usable else None, "qr_png": None})
    return out

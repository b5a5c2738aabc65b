"""Sharing a credit card (信用名片分享): a signed token naming a ``card_shares`` row.

The token (itsdangerous, ``SECRET_KEY`` with its own salt) only proves *which* share; the row
decides whether it still works (expiry, revocation) and counts the views. Whoever opens a live
link sees the card *as of now*, with the identity masked.

A share follows its owner: every view checks the owner's account in the same query, so a link of
a disabled or unbound account stops at once (410 ``share_owner_unavailable``), and disabling,
unbinding or re-binding the account revokes its shares in the same transaction (listener below) —
a re-bound account's old links never show anyone's card again.

Creating and revoking a share are audited; a view is only counted (one ``UPDATE … view_count + 1``
on the share row), not audited: anonymous views must not each take the audit chain's lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from backend.cards.models import CardShare
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, DomainError, NotFound, ValidationFailed
from backend.sessions.cache import ending_change
from backend.subjects.models import Account

log = logging.getLogger(__name__)

SHARE_SALT = "card-share"
TTL_MIN, TTL_MAX, TTL_DEFAULT = 60, 24 * 3600, 600
MAX_ACTIVE_SHARES = 20


class ShareState(StrEnum):
    ACTIVE = "active"  # 有效
    EXPIRED = "expired"  # 已过期
    REVOKED = "revoked"  # 已撤销


SHARE_STATE_LABELS = {ShareState.ACTIVE: "有效", ShareState.EXPIRED: "已过期", ShareState.REVOKED: "已撤销"}


class ShareGone(DomainError):
    status = 410


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SHARE_SALT)


def share_token(secret: str, share: CardShare) -> str:
    return _serializer(secret).dumps(share.id)


def share_id_from_token(secret: str, token: str) -> int:
    try:
        value = _serializer(secret).loads(token)
    except BadSignature:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFound("share_invalid", "分享链接无效，请向分享人重新索取。")
    return value


def share_state(share: CardShare, now: datetime | None = None) -> ShareState:
    now = now or utcnow()
    if share.revoked_at is not None:
        return ShareState.REVOKED
    if share.expires_at <= now:
        return ShareState.EXPIRED
    return ShareState.ACTIVE


def create_share(session: Session, actor: Actor, *, subject_id: int, ttl_seconds: int | None) -> CardShare:
    """A new share of ``subject_id``'s card by the account ``actor``, valid ``ttl_seconds`` (60 s–24 h)."""
    ttl = TTL_DEFAULT if ttl_seconds is None else ttl_seconds
    if not TTL_MIN <= ttl <= TTL_MAX:
        msg = "分享有效期应在1分钟到24小时之间。"
        raise ValidationFailed("ttl_out_of_range", msg, errors={"ttl_seconds": [msg]})
    now = utcnow()
    active = session.execute(
        select(func.count()).select_from(CardShare).where(
            CardShare.account_id == actor.id, CardShare.revoked_at.is_(None), CardShare.expires_at > now
        )
    ).scalar_one()
    if active >= MAX_ACTIVE_SHARES:
        raise Conflict("too_many_shares", f"有效的分享链接最多{MAX_ACTIVE_SHARES}个，请先撤销不用的分享。")
    share = CardShare(subject_id=subject_id, account_id=actor.id, created_at=now,
                      expires_at=now + timedelta(seconds=ttl), view_count=0)
    session.add(share)
    session.flush()
    audit(session, actor, "card_share.create", "card_share", share.id, subject_id=subject_id, ttl_seconds=ttl)
    return share


def list_shares(session: Session, actor: Actor, limit: int = 100) -> list[CardShare]:
    """The account's shares, newest first."""
    return list(session.execute(
        select(CardShare).where(CardShare.account_id == actor.id)
        .order_by(CardShare.created_at.desc(), CardShare.id.desc()).limit(limit)
    ).scalars())


def get_own_share(session: Session, actor: Actor, share_id: int) -> CardShare:
    share = session.get(CardShare, share_id)
    if share is None or share.account_id != actor.id:
        raise NotFound("share_not_found", "没有找到这条分享记录。")
    return share


def revoke_share(session: Session, actor: Actor, share_id: int) -> CardShare:
    """Revoke a share (撤销分享); revoking twice keeps the first time."""
    share = get_own_share(session, actor, share_id)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        session.flush()
        audit(session, actor, "card_share.revoke", "card_share", share.id)
    return share


def open_share(session: Session, viewer: Actor, secret: str, token: str) -> CardShare:
    """The live share behind ``token``, its view counted; refusals say why.

    ``viewer`` (the anonymous caller) is not audited per view: creation and revocation are."""
    row = session.execute(
        select(CardShare, Account.disabled, Account.person_id)
        .join(Account, Account.id == CardShare.account_id)
        .where(CardShare.id == share_id_from_token(secret, token))
    ).first()
    if row is None:
        raise NotFound("share_invalid", "分享链接无效，请向分享人重新索取。")
    share, owner_disabled, owner_person = row
    state = share_state(share)
    if state is ShareState.REVOKED:
        raise ShareGone("share_revoked", "分享人已撤销该分享链接。")
    if state is ShareState.EXPIRED:
        raise ShareGone("share_expired", "分享链接已过期，请向分享人重新索取。")
    if owner_disabled or owner_person is None:
        raise ShareGone("share_owner_unavailable", "分享人的账号已不可用，该分享链接已失效。")
    # One UPDATE: concurrent views never lose a count.
    session.execute(
        update(CardShare).where(CardShare.id == share.id)
        .values(view_count=CardShare.view_count + 1, last_viewed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return share


@event.listens_for(Session, "after_flush")
def _owner_changed(session: Session, _flush_context) -> None:
    """Disabling, unbinding or re-binding an account revokes its live shares (same transaction)."""
    table = CardShare.__table__
    for obj in session.dirty:
        if isinstance(obj, Account) and ending_change(obj) is not None:
            revoked = session.connection().execute(
                update(table).where(table.c.account_id == obj.id, table.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
            if revoked:
                log.info("revoked %s shares of account %s (%s)", revoked, obj.id, ending_change(obj))

"""Mini-program accounts (小程序账号): login, refresh-token rotation, logout, 实名 binding, ``me``.

An account is a WeChat openid. Every login starts a login session (:mod:`backend.sessions`);
access tokens are signed and short-lived (:func:`backend.common.tokens.sign`, purpose
``ACCOUNT_TOKEN``) and name that session, so ending it stops them at once. Refresh tokens are
random, stored only as their SHA-256, and used once: each refresh returns a new pair in the same
session. Presenting a refresh token that was already used means it was copied — every refresh
token of the account is revoked and every session ended (``refresh_reused``), the stolen access
token with them, and the user logs in again.

WeChat itself is behind :mod:`backend.subjects.wechat` (the view resolves the code and passes a
:class:`WeChatIdentity` here): these services know nothing of wechatpy, Flask, or ``session_key``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.ids import parse_resident_id
from backend.common.tokens import ACCOUNT_TOKEN, sign
from backend.platform.db import commit_on_refusal, utcnow
from backend.platform.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)
from backend.sessions.models import AuthSession, EndReason
from backend.sessions.services import end_own_session, end_sessions, renew_session, start_session
from backend.subjects.identity import IdentityVerifier, VerifierUnavailable, is_self_declared, load_verifier
from backend.subjects.models import Account, IdentityLevel, Person, RefreshToken
from backend.subjects.services import clean_name, id_number_index, register_person, view_person

DEV_PREFIX = "dev:"
_DEV_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class WeChatIdentity:
    """Who WeChat (or the development login) says the user is. Never carries ``session_key``."""

    openid: str
    unionid: str | None = None


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    access_ttl: int
    refresh_ttl: int
    user_agent: str | None = None  # the client's, for the coarse device name of the session list


@dataclass
class LoginResult:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    account: Account


def account_actor(account: Account, ip: str | None) -> Actor:
    return Actor("account", account.id, person_id=account.person_id, ip=ip)


def get_account(session: Session, actor: Actor) -> Account:
    account = session.get(Account, actor.id) if actor.is_account else None
    if account is None or account.disabled:
        raise Forbidden("account_disabled", "该账号不可用，请联系客服。")
    return account


# --- login ---------------------------------------------------------------------------------


def dev_identity(code: str, *, enabled: bool) -> WeChatIdentity | None:
    """The development login: ``dev:<name>`` is openid ``dev-<name>``, without WeChat.

    ``None`` for an ordinary code. Refused (403 ``dev_login_disabled``) unless ``enabled`` — the
    app enables it only while no mini-program appid is configured, outside production.
    """
    if not code.startswith(DEV_PREFIX):
        return None
    if not enabled:
        raise Forbidden("dev_login_disabled", "开发测试登录已关闭，请通过微信登录。")
    name = code[len(DEV_PREFIX):]
    if not _DEV_NAME.match(name):
        raise ValidationFailed("dev_code_invalid", "开发测试登录的名字只能使用字母、数字、下划线和短横线。",
                               errors={"code": ["名字只能使用字母、数字、下划线和短横线（最多40个）。"]})
    return WeChatIdentity(openid=f"dev-{name}")


def _find_or_create_account(session: Session, actor: Actor, who: WeChatIdentity) -> Account:
    account = session.execute(select(Account).where(Account.openid == who.openid)).scalar()
    if account is None and who.unionid:
        # Same person (unionid) known through another WeChat app: one account, not two.
        account = session.execute(
            select(Account).where(Account.unionid == who.unionid).order_by(Account.id).limit(1)
        ).scalar()
        if account is not None:
            audit(session, account_actor(account, actor.ip), "account.link_unionid", "account", account.id)
    if account is not None:
        return account
    try:
        with session.begin_nested():
            account = Account(openid=who.openid, unionid=who.unionid)
            session.add(account)
            session.flush()
    except IntegrityError:
        # A concurrent first login with the same code created it a moment ago.
        account = session.execute(select(Account).where(Account.openid == who.openid)).scalar_one()
        return account
    audit(session, account_actor(account, actor.ip), "account.create", "account", account.id,
          has_unionid=bool(who.unionid))
    return account


def login(session: Session, actor: Actor, who: WeChatIdentity, settings: TokenSettings) -> LoginResult:
    """Log in (creating the account at the first visit) and issue an access/refresh token pair."""
    account = _find_or_create_account(session, actor, who)
    if account.disabled:
        raise Forbidden("account_disabled", "该账号不可用，请联系客服。")
    if who.unionid and account.unionid != who.unionid:
        account.unionid = who.unionid
    account.last_login_at = utcnow()
    login_session = start_session(session, account_id=account.id, ip=actor.ip, user_agent=settings.user_agent,
                                  ttl_seconds=settings.refresh_ttl)
    result = _issue(session, account, login_session.id, settings)
    audit(session, account_actor(account, actor.ip), "account.login", "account", account.id,
          session_id=login_session.id)
    return result


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue(session: Session, account: Account, session_id: int, settings: TokenSettings) -> LoginResult:
    raw = secrets.token_urlsafe(32)
    session.add(RefreshToken(account_id=account.id, session_id=session_id, token_hash=_hash(raw),
                             expires_at=utcnow() + timedelta(seconds=settings.refresh_ttl)))
    session.flush()
    access = sign(settings.secret, ACCOUNT_TOKEN, {"a": account.id, "sid": session_id})
    return LoginResult(access, settings.access_ttl, raw, settings.refresh_ttl, account)


def _revoke_all(session: Session, account_id: int) -> int:
    now = utcnow()
    res = session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount or 0


def refresh(session: Session, actor: Actor, raw_token: str, settings: TokenSettings) -> LoginResult:
    """Exchange a refresh token for a new pair (rotation); a reused token revokes them all."""
    invalid = Unauthorized("refresh_invalid", "登录已失效，请重新登录。")
    if not raw_token or len(raw_token) > 200:
        raise invalid
    token = session.execute(select(RefreshToken).where(RefreshToken.token_hash == _hash(raw_token))).scalar()
    if token is None:
        raise invalid
    now = utcnow()
    if token.revoked_at is not None and token.used_at is None:
        raise Unauthorized("refresh_revoked", "登录已失效，请重新登录。")
    # One conditional UPDATE claims the token: of two racing refreshes only one wins.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        revoked = _revoke_all(session, token.account_id)
        ended = end_sessions(session, EndReason.REFRESH_REUSED, account_id=token.account_id)
        audit(session, Actor("account", token.account_id, ip=actor.ip), "account.refresh_reused", "account",
              token.account_id, revoked=revoked, sessions_ended=ended)
        commit_on_refusal(session)  # the revocation must outlive the 401
        raise Unauthorized("refresh_reused", "登录凭证已被使用，为保护您的账号，请重新登录。")
    if token.expires_at <= now:
        raise Unauthorized("refresh_expired", "登录已过期，请重新登录。")
    account = session.get(Account, token.account_id)
    if account is None or account.disabled:
        raise Forbidden("account_disabled", "该账号不可用，请联系客服。")
    session_id = token.session_id
    live = session_id is not None and session.execute(
        select(AuthSession.id).where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
    ).first() is not None
    if session_id is not None and not live:
        raise Unauthorized("refresh_revoked", "登录已失效，请重新登录。")
    if session_id is None:  # a token from before sessions existed: it starts one
        session_id = start_session(session, account_id=account.id, ip=actor.ip, user_agent=settings.user_agent,
                                   ttl_seconds=settings.refresh_ttl).id
    else:
        renew_session(session, session_id, settings.refresh_ttl)
    return _issue(session, account, session_id, settings)


def logout(session: Session, actor: Actor, raw_token: str | None = None) -> int:
    """Log out: end the caller's current session (with the given refresh token's, if another of
    theirs), or — no refresh token given — every session and refresh token of the account.

    Returns how many refresh tokens were revoked. The access token in use stops working at once.
    """
    account = get_account(session, actor)
    if raw_token:
        revoked_ids = list(session.execute(
            update(RefreshToken)
            .where(RefreshToken.account_id == account.id, RefreshToken.token_hash == _hash(raw_token),
                   RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(RefreshToken.session_id)
            .execution_options(synchronize_session=False)
        ).scalars())
        revoked = len(revoked_ids)
        ending = {sid for sid in revoked_ids if sid is not None} | {actor.session_id} - {None}
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.account_id == account.id, RefreshToken.session_id.in_(ending),
                   RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        ended = end_sessions(session, EndReason.LOGOUT, account_id=account.id, ids=ending)
    else:
        revoked = _revoke_all(session, account.id)
        ended = end_sessions(session, EndReason.LOGOUT, account_id=account.id)
    audit(session, actor, "account.logout", "account", account.id, revoked=revoked, sessions_ended=ended)
    return revoked


def end_account_session(session: Session, actor: Actor, session_id: int) -> None:
    """End one of the caller's sessions from the session list, with its refresh tokens."""
    account = get_account(session, actor)
    end_own_session(session, actor, session_id)
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account.id, RefreshToken.session_id == session_id,
               RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit(session, actor, "account.session_end", "account", account.id, session_id=session_id)


# --- 实名 binding ---------------------------------------------------------------------------


def bind_identity(
    session: Session,
    actor: Actor,
    *,
    name: str,
    id_number: str,
    verifier: IdentityVerifier | None,
    require_real: bool = False,
) -> Account:
    """Bind the caller's account to the person with this ID number (实名认证).

    ``verifier`` is None when the configured one cannot be loaded (503). Refusals: invalid ID
    (422 with the validator's reason), verification failed (422), name differs from the person
    already on file (422 ``identity_mismatch``, the stored name is not revealed), the person bound
    to another account (409 ``identity_bound_elsewhere``), the caller bound to someone else (409).
    """
    account = get_account(session, actor)
    rid = parse_resident_id(id_number)
    clean = clean_name(name)
    if verifier is None or (require_real and is_self_declared(verifier)):
        raise _verifier_unavailable()
    try:
        result = verifier.verify(clean, rid.number)
    except Exception:  # a verifier failure is "try later", never a 500
        raise _verifier_unavailable() from None
    if require_real and result.ok and result.level != IdentityLevel.VERIFIED:
        raise _verifier_unavailable()
    if not result.ok:
        raise ValidationFailed(result.reason or "identity_not_verified",
                               "姓名与身份证号码未能通过核验，请核对后重试。")
    person = session.execute(
        select(Person).where(Person.id_number_bidx == id_number_index(rid.number)).with_for_update()
    ).scalar()
    if person is not None and person.name != clean:
        raise ValidationFailed("identity_mismatch", "姓名与身份证号码不一致，请核对后重试。")
    if account.person_id is not None and (person is None or account.person_id != person.id):
        raise Conflict("identity_already_bound", "您的账号已绑定实名信息，如需更换请联系客服。")
    if person is not None:
        other = session.execute(
            select(Account.id).where(Account.person_id == person.id, Account.id != account.id).limit(1)
        ).first()
        if other is not None:
            raise Conflict("identity_bound_elsewhere", "该身份已绑定其他微信账号，如有疑问请联系客服。")
    else:
        person = register_person(session, actor, id_number=rid.number, name=clean)
    level = IdentityLevel(result.level)
    if account.person_id == person.id and account.identity_level == level:
        return account  # binding again with the same data changes nothing
    account.person_id = person.id
    account.person = person
    account.identity_level = level
    account.identity_verified_at = utcnow()
    session.flush()
    audit(session, actor, "account.identity_bind", "account", account.id, person_id=person.id, level=level.value)
    return account


def _verifier_unavailable() -> DomainError:
    return ServiceUnavailable("identity_verifier_unavailable", "实名核验服务暂时不可用，请稍后再试。")


def load_configured_verifier(spec: str) -> IdentityVerifier | None:
    """The verifier for ``IDENTITY_VERIFIER``, or None if it cannot be loaded (logged)."""
    try:
        return load_verifier(spec)
    except VerifierUnavailable:
        return None


# --- me --------------------------------------------------------------------------------------


def account_summary(account: Account) -> dict:
    return {
        "id": account.id,
        "identity_level": IdentityLevel(account.identity_level).value,
        "has_identity": account.person_id is not None,
    }


def describe_me(session: Session, actor: Actor, *, reveal: bool = False) -> dict:
    """The caller's account, bound person (masked unless ``reveal``: only the owner gets here),
    and the firms they may act for (as legal representative or approved agent)."""
    from backend.subjects.agency import firms_for_person

    account = get_account(session, actor)
    out = account_summary(account)
    out["identity_verified_at"] = account.identity_verified_at
    out["person"] = None
    out["firms"] = []
    if account.person_id is not None:
        person = session.get(Person, account.person_id)
        if person is None:  # pragma: no cover - foreign key
            raise NotFound("person_not_found", "没有找到该人员的信息。")
        owner = Actor("account", account.id, person_id=account.person_id, ip=actor.ip)
        out["person"] = view_person(session, owner, person, unmasked=reveal)
        out["firms"] = firms_for_person(session, person.id)
    return out

"""The console's web layer: blueprint, session cookie, the page guard, CSRF, headers, error pages."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from backend.common.actor import Actor
from backend.http.auth import load_staff_actor
from backend.http.extensions import get_store
from backend.http.ratelimit import RateLimitExceeded
from backend.platform.errors import DomainError
from backend.staff.models import ROLE_LABELS, Role

log = logging.getLogger(__name__)

bp = Blueprint("console", __name__, url_prefix="/staff", template_folder="templates",
               static_folder="static", static_url_path="/static")
csrf = CSRFProtect()

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
ONCE_TTL = 3600  # seconds a submitted form's one-time key is remembered (double submits)

# Strict: scripts and styles from this app only, no inline code, never inside a frame.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class ConsoleSessions(SecureCookieSessionInterface):
    """The cookie session, ``Secure`` unless the console is opened on ``http://localhost``.

    A plain-HTTP intranet address gets a Secure cookie that the browser will not send back: the
    console must be served over HTTPS anywhere but on the developer's own machine.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return not (request and request.scheme == "http" and request.host.rsplit(":", 1)[0] in LOOPBACK_HOSTS)


def idle_minutes(app: Flask) -> int:
    """``STAFF_CONSOLE_IDLE_MINUTES`` of the app config (``backend.platform.config``, which reads the
    environment), checked again for configs built by hand; 30 when unset."""
    from backend.platform.config import Config, check_idle_minutes

    raw = app.config.get("STAFF_CONSOLE_IDLE_MINUTES")
    return check_idle_minutes(Config.STAFF_CONSOLE_IDLE_MINUTES if raw in (None, "") else raw)


def init_web(app: Flask) -> None:
    idle = idle_minutes(app)
    app.config["STAFF_CONSOLE_IDLE_MINUTES"] = idle
    # The console is the app's one user of the cookie session (the APIs use bearer tokens).
    app.config.update(
        SESSION_COOKIE_NAME="staff_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=idle),
        # Checked in this blueprint only (before_request below), never on the bearer-token APIs.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (idle-limited) session
        WTF_CSRF_SSL_STRICT=True,
    )
    app.session_interface = ConsoleSessions()
    csrf.init_app(app)


# --- the signed-in member of staff ------------------------------------------------------------


def console_actor() -> Actor | None:
    return g.get("actor")


def _forget_csrf_token() -> None:
    # Flask-WTF caches the signed token on ``g``; after the session changes it must be made anew.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def sign_in(token: str, *, must_change: bool) -> None:
    session.clear()  # a fresh session (and CSRF token) at every login
    _forget_csrf_token()
    session.permanent = True
    session["tok"] = token
    session["seen"] = int(time.time())
    if must_change:
        session["must_change"] = True


def sign_out() -> None:
    session.clear()
    _forget_csrf_token()


def load_console_actor() -> Actor | None:
    """The actor behind the session's staff token, or None (and the session ended) if it is gone."""
    token = session.get("tok")
    if not token:
        return None
    idle = current_app.config["STAFF_CONSOLE_IDLE_MINUTES"] * 60
    if time.time() - int(session.get("seen") or 0) > idle:
        sign_out()
        flash(f"超过{idle // 60}分钟未操作，已自动退出，请重新登录。", "warning")
        return None
    try:
        # The API's own check: account active and token_version unchanged (deactivation and a
        # password change both end every session at once).
        actor = load_staff_actor(token)
    except DomainError:
        sign_out()
        flash("登录已失效，请重新登录。", "warning")
        return None
    session["seen"] = int(time.time())
    return actor


def staff_page(roles: Iterable[Role | str] | None = None, message: str = "您的岗位无权访问此页面。") -> Callable:
    """Console pages: a signed-in member of staff (else the login page), and one of ``roles``.

    The role check is :func:`backend.staff.services.require_role`, as in the services; department
    scope is checked by the services the page calls.
    """
    from backend.staff.services import require_role

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            actor = load_console_actor()
            if actor is None:
                return redirect(url_for("console.login", next=_safe_next(request.full_path)))
            g.actor = actor
            g.rate_key = actor.ref
            if session.get("must_change") and request.endpoint not in ("console.password", "console.logout"):
                flash("您使用的是开发环境的初始密码，请先修改密码。", "warning")
                return redirect(url_for("console.password"))
            if roles is not None:
                require_role(actor, roles, message)
            return fn(*args, **kwargs)

        return wrapper

    return deco


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never another site (open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") or target.startswith("//"):
        return None
    return target.rstrip("?") or None


safe_next = _safe_next


# --- forms ------------------------------------------------------------------------------------


@bp.app_template_global("once")
def once_token() -> str:
    """A one-time key for a form: the second submission of the same form is not processed."""
    return secrets.token_urlsafe(12)


def first_submission() -> bool:
    """False when this form's one-time key was seen before (a double click, a resent POST)."""
    key = request.form.get("once")
    actor = console_actor()
    if not key or actor is None:
        return True
    try:
        return get_store().add(f"console:once:{actor.id}:{key[:40]}", "1", ttl=ONCE_TTL)
    except Exception:  # the store is down: better a possible duplicate than a refused form
        log.warning("console once-key check skipped: store unavailable")
        return True


def field_errors(err: DomainError, aliases: dict[str, str] | None = None) -> dict[str, list[str]]:
    """A domain error's field messages, keyed by the form's field names."""
    out: dict[str, list[str]] = {}
    errors = err.errors if isinstance(err.errors, dict) else {}
    for name, messages in errors.items():
        name = (aliases or {}).get(name, name)
        if isinstance(messages, str):
            messages = [messages]
        out.setdefault(name, []).extend(str(m) for m in messages if isinstance(m, str | int))
    return out


def date_arg(name: str, errors: dict) -> date | None:
    """A ``2026-05-01`` query argument; a mistyped one is noted in ``errors`` under its name."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["日期格式应为 2026-05-01。"]
        return None


def page_arg(maximum: int = 10_000) -> int:
    """The ``page`` query argument, 1 when missing or mistyped, bounded (OFFSET stays small)."""
    try:
        return max(1, min(int(request.args.get("page") or 1), maximum))
    except ValueError:
        return 1


def page(template: str, status: int = 200, **context):
    return render_template(f"console/{template}", **context), status


def role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role or ""


@bp.app_template_filter("cn_time")
def cn_time(value) -> str:
    """A stored instant as China time, to the minute (``2026-12-01 14:03``)."""
    from datetime import UTC, datetime

    from backend.common.clock import CHINA_TZ

    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


@bp.context_processor
def _context() -> dict:
    actor = console_actor()
    return {"actor": actor, "role_label": role_label(actor.role) if actor else "",
            "Role": Role}


# --- hooks ------------------------------------------------------------------------------------


@bp.before_request
def _protect() -> None:
    # ``g`` outlives a request when an app context was pushed around it (the CLI, tests).
    _forget_csrf_token()
    # Every console POST (forms and any script-sent request: X-CSRFToken header) carries the token.
    try:
        csrf.protect()
    except (AttributeError, TypeError):
        # A malformed multipart body (a part without a name) trips Flask-WTF's token lookup.
        raise CSRFError("malformed form") from None


@bp.after_request
def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)  # an evidence file sets its own (queue_views.FILE_CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        # Pages show personal and case data: never kept in a shared office PC's cache.
        h["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, message: str):
    return page("error.html", status, code=status, message=message)


@bp.errorhandler(CSRFError)
def _csrf_error(err: CSRFError):
    return _error_page(400, "页面已过期或请求来源无法确认（缺少安全校验码），请刷新页面后重试。")


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError):
    if err.status == 401:
        return redirect(url_for("console.login"))
    return _error_page(err.status, err.message)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(err: RateLimitExceeded):
    # The per-IP limits of backend/http/ratelimit.py (the login form counts against ``login``): the
    # same words whatever the username, so the answer tells nothing about which accounts exist.
    seconds = max(1, int(err.retry_after))
    if request.endpoint == "console.login":
        body, status = page("login.html", 429, username=request.form.get("username", "")[:64],
                            next=_safe_next(request.values.get("next")),
                            error=f"本机登录尝试过于频繁，请{seconds}秒后再试。")
    else:
        body, status = _error_page(429, f"操作过于频繁，请{seconds}秒后再试。")
    return body, status, {"Retry-After": str(seconds)}


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    messages = {404: "没有找到该页面或事项。", 405: "不支持该操作方式。", 413: "上传的文件太大。",
                400: "请求格式有误，请刷新页面后重试。"}
    return _error_page(err.code or 500, messages.get(err.code or 500, "请求无法处理。"))


@bp.errorhandler(DataError)
@bp.errorhandler(OverflowError)
def _bad_value(err: Exception):
    log.warning("console: database refused a value: %s", type(err).__name__)
    return _error_page(422, "填写的内容格式不正确或太长，请检查后重试。")


@bp.errorhandler(IntegrityError)
def _conflict(err: IntegrityError):
    return _error_page(409, "该操作已被处理或与当前状态冲突，请刷新后重试。")


@bp.errorhandler(Exception)
def _unexpected(err: Exception):
    log.exception("console: unhandled error")
    return _error_page(500, "系统开小差了，请稍后再试。")

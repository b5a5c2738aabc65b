"""Login, logout and password pages of the console."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for

from backend.http.extensions import get_session, get_store
from backend.platform.errors import DomainError
from backend.staff import login as staff_login
from backend.staff import services as svc
from backend.staff.console.web import (
    bp,
    console_actor,
    field_errors,
    load_console_actor,
    page,
    safe_next,
    sign_in,
    sign_out,
    staff_page,
)
from backend.staff.login_throttle import LoginThrottle

# Passwords printed by ``flask demo seed`` and listed in the README: whoever signs in with one
# must choose their own before doing anything else.


@bp.route("/login", methods=["GET", "POST"])
def login():
    nxt = safe_next(request.values.get("next"))
    if request.method == "GET":
        if session.get("tok"):
            return redirect(nxt or url_for("console.dashboard"))
        return page("login.html", username="", error=None, next=nxt)
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:256]
    if not username.strip() or not password:
        return page("login.html", 422, username=username, next=nxt,
                    error="请输入用户名和密码。")
    try:
        # The staff API's login (argon2, the same answer for unknown and known names, progressive
        # delays per name and client, audit): failures are committed by the pipeline.
        cfg = current_app.config
        _user, token = staff_login.authenticate_staff(
            get_session(), username, password,
            staff_login.ClientInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent")),
            secret=cfg["SECRET_KEY"], ttl=cfg["STAFF_TOKEN_TTL"], throttle=LoginThrottle(get_store()))
    except DomainError as err:
        resp = page("login.html", err.status, username=username, next=nxt, error=err.message)
        return (*resp, err.headers or {})
    sign_in(token, must_change=password in svc.published_passwords())
    return redirect(nxt or url_for("console.dashboard"), code=303)


@bp.route("/logout", methods=["POST"])
def logout():
    actor = load_console_actor()
    if actor is not None:
        staff_login.logout_staff(get_session(), actor)  # the login session ends on every node
    sign_out()
    flash("已退出登录。", "info")
    return redirect(url_for("console.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@staff_page()
def password():
    forced = bool(session.get("must_change"))
    if request.method == "GET":
        return page("password.html", errors={}, forced=forced)
    current = request.form.get("current_password", "")[:256]
    new = request.form.get("new_password", "")[:256]
    again = request.form.get("new_password2", "")[:256]
    errors: dict[str, list[str]] = {}
    if new != again:
        errors["new_password2"] = ["两次输入的新密码不一致。"]
    if errors:
        return page("password.html", 422, errors=errors, forced=forced)
    cfg = current_app.config
    client = staff_login.ClientInfo(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))
    try:
        # Every session of the user ends (other browsers, API clients); this browser goes on with a new one.
        _, token = staff_login.change_own_password(
            get_session(), console_actor(), current_password=current, new_password=new, client=client,
            secret=cfg["SECRET_KEY"], ttl=cfg["STAFF_TOKEN_TTL"], throttle=LoginThrottle(get_store()))
    except DomainError as err:
        errors = field_errors(err, {"password": "new_password"}) or {"current_password": [err.message]}
        resp = page("password.html", err.status, forced=forced, errors=errors)
        return (*resp, err.headers or {})
    sign_in(token, must_change=False)
    flash("密码已修改。", "success")
    return redirect(url_for("console.dashboard"), code=303)

"""The staff web console (工作台) at ``/staff/``: server-rendered Chinese pages for department staff.

The pages call the same domain services as the staff JSON API (``/staff/v1``) with the same
``Session`` and ``Actor``; a template holds no business rule. What this package adds is the web
session around them:

- login through :func:`backend.staff.services.authenticate_staff` (argon2, lockout), logout,
  password change, and a forced change after signing in with a published development password;
- a signed, HttpOnly, SameSite=Lax cookie (``staff_console``) holding the staff token, Secure except on
  ``http://localhost``, expiring after ``STAFF_CONSOLE_IDLE_MINUTES`` (default 30) without a request;
  every request re-checks the token (deactivation or a password change ends the session at once);
- CSRF on every console form (Flask-WTF ``CSRFProtect``, checked in this blueprint only: the JSON
  APIs authenticate with bearer tokens and never read the cookie);
- a Content-Security-Policy without inline scripts or styles and ``frame-ancestors 'none'``.

Modules: ``web.py`` (session, guards, headers), ``auth_views.py``, ``record_views.py``,
``admin_views.py``, ``commitment_views.py`` (catalogue, integrity notice), ``queue_views.py``,
``voucher_views.py`` (the merchant's scan page), ``queues.py`` (the queue adapters), ``sheets.py`` (XLSX).
"""

from __future__ import annotations

from flask import Flask

# Importing the view modules attaches their routes to ``bp``.
from backend.staff.console import (  # noqa: E402,F401,I001
    admin_views,
    auth_views,
    commitment_views,
    queue_views,
    record_views,
    voucher_views,
)
from backend.staff.console.web import bp, init_web


def init_console(app: Flask) -> None:
    """Register the console on ``app`` (called by the app factory)."""
    init_web(app)
    app.register_blueprint(bp)

"""Absolute links the API hands out (share links, verification links, letter PDFs, report cells)."""

from __future__ import annotations

from flask import current_app, request

from backend.platform.config import printed_base_url


def public_base_url() -> str:
    """Where the public site is: ``PUBLIC_BASE_URL`` if configured (behind a proxy the request's own
    host is an internal name), else this request's host. No trailing slash."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def public_url(path: str) -> str:
    """The absolute public URL of ``path`` (which starts with ``/``)."""
    return f"{public_base_url()}{path}"


def printed_url(path: str) -> str:
    """The absolute URL of ``path`` for a link that is printed (a letter PDF, its QR code, a report):
    ``PUBLIC_BASE_URL`` (required in production) and never the request's Host header, which the
    client chooses and which would then live on paper (:func:`backend.platform.config.printed_base_url`)."""
    return f"{printed_base_url(current_app.config)}{path}"

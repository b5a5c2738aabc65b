"""Driving the console with Flask's test client: log in, post a form with its CSRF token."""

from __future__ import annotations

import re
import uuid

from tests.factories import STAFF_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client, username: str, password: str = STAFF_PASSWORD, **extra):
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password,
                                             **extra})


def post(client, url: str, data: dict | None = None, *, page: str = "/staff/", **kwargs):
    """POST a console form as the browser would: the session's CSRF token and a fresh one-time key."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    body = {"csrf_token": token, "once": uuid.uuid4().hex, **(data or {})}
    return client.post(url, data=body, **kwargs)


def text(resp) -> str:
    return resp.get_data(as_text=True)

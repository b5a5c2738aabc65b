"""The warm ``GET /miniapp/v1/me/card``, answered before Flask.

``me/card`` is the mini-program's most frequent read, and when the card is warm the Flask route
does no work of its own: it finds the token among those this process has verified, the account's
state and the card's generation among the near-cache copies, and the rendered card among this
process's views (``backend.cards.cache``). What it spends is Flask's — contexts, routing, hooks,
the flask-smorest layers — about four fifths of the request.

This WSGI middleware does those same lookups with the same objects, and answers only when *every*
one is a hit that the route would have turned into a 200:

- a ``GET`` of exactly that path, no query string, a bearer token;
- the token verified by this process before and not expired (``_VerifiedTokens.known``: no new
  signature check here, so a new, forged or expired token always goes to Flask);
- the account's cached state under its current tag, usable and bound to a person
  (``account_cache.read``: disabled, unbound, unknown or invalidated accounts go to Flask);
- the rendered owner view under the card's current generation (``cache.local_get``).

Anything else — a miss, an error, a cache outage (generation ``b"-"``) — falls through to Flask,
which answers as always (and fills the copies for next time). The body is the very bytes the route
rendered and cached; the headers are the route's (``Content-Type``, ``Content-Length`` and the
server timing, see ``backend/http/server_timing.py``). A warm read has no side effect in the route
(no SQL, no audit, no rate limit on reads), so none is skipped here.

``CARD_FAST_PATH=0`` sends every request through Flask.
"""

from __future__ import annotations

import time

from backend.cards import cache
from backend.subjects import account_cache

PATH = "/miniapp/v1/me/card"
_VIEW = ("owner", False)  # render_card's audience and unmasked flag for the person's own card (card_json)


class CardFastPath:
    def __init__(self, app, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.served = 0  # requests answered here (tests and operators can see it work)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "GET" \
                and not environ.get("QUERY_STRING"):
            t0 = time.perf_counter()
            try:
                body = self._warm_card(environ)
            except Exception:  # never an error from here: Flask answers instead
                body = None
            if body is not None:
                self.served += 1
                ms = f"{(time.perf_counter() - t0) * 1000:.3f}"
                start_response("200 OK", [
                    ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                    ("X-Server-Time", ms), ("Server-Timing", f"app;dur={ms}"),
                ])
                return [body]
        return self.wsgi_app(environ, start_response)

    def _warm_card(self, environ) -> bytes | None:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        from backend.http.auth import verified_account_tokens
        from backend.platform.nearcache import get_near_cache

        app = self.app
        cfg = app.config
        payload = verified_account_tokens(app).known(token, cfg["ACCESS_TOKEN_TTL"])
        account_id = payload.get("a") if isinstance(payload, dict) else None
        if type(account_id) is not int or cfg.get("ACCOUNT_CACHE_TTL", account_cache.DEFAULT_TTL) <= 0:
            return None
        store, near = app.extensions["kv"], get_near_cache(app)
        state, _tag = account_cache.read(store, account_id, near)
        if state is None or not state.usable or state.person_id is None:
            return None
        views = app.extensions.get("card_views")
        if views is None:
            return None
        gen = cache.generation(state.person_id, store, near)
        if gen == b"-":
            return None
        return views.get((state.person_id, gen, *_VIEW))

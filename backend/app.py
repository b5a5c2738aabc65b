"""信用淮安区 service backend: the app factory."""

from __future__ import annotations

import logging
from types import FunctionType

from flask import Flask

from backend.platform.config import Config


class CreditApp(Flask):
    """Flask, answering ``ensure_sync`` from a cache for plain functions.

    Flask and flask-smorest ask it of every hook and decorator layer on every request (about 15
    times for one card read), and ``inspect.iscoroutinefunction`` is not free. Only module-level
    and decorator functions are cached (bounded), never bound methods created per request.
    """

    _SYNC_CACHE_MAX = 4096

    def ensure_sync(self, func):
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        cache = self.__dict__.setdefault("_sync_cache", {})
        found = cache.get(func)
        if found is None:
            if len(cache) >= self._SYNC_CACHE_MAX:
                cache.clear()
            found = cache[func] = super().ensure_sync(func)
        return found


def create_app(config: Config | dict | None = None) -> Flask:
    """Build the app. ``config`` may be a :class:`Config`, a dict of overrides, or None (environment)."""
    cfg = config if isinstance(config, Config) else Config.from_env()
    app = CreditApp(__name__, instance_relative_config=False)
    app.config.update(cfg.as_flask())
    if isinstance(config, dict):
        app.config.update(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    _configure_logging(app)
    _configure_http(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces every autogenerate plugin at INFO; keep "Running upgrade …" lines only.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _configure_http(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from backend.http.registry import BoundedIntConverter

    # An id beyond the primary keys' range cannot exist: the route does not match (404), the database never sees it.
    app.url_map.converters["int"] = BoundedIntConverter
    if app.config.get("CARD_FAST_PATH", True):
        from backend.cards.fastpath import CardFastPath

        # The warm me/card, answered from this process's copies before Flask (see the module).
        app.wsgi_app = app.extensions["card_fast_path"] = CardFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a load balancer: the client IP (rate limits, audit) and the public host (share URLs)
        # come from X-Forwarded-* set by that many trusted proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from backend.common import crypto
    from backend.http.extensions import Database, limiter
    from backend.http.pipeline import register_request_pipeline
    from backend.platform import store as cache

    crypto.configure(app.config["PII_KEYS"], app.config["PII_ACTIVE_KEY"], app.config["PII_INDEX_KEY"])
    Database().init_app(app)
    cache.init_store(app)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    register_request_pipeline(app)


def register_blueprints(app: Flask) -> None:
    from backend.http.health import blp as health_blp
    from backend.http.registry import register_api_blueprints

    from backend.staff.console import init_console

    app.register_blueprint(health_blp)
    register_api_blueprints(app)
    init_console(app)  # the staff web console at /staff/ (its own session cookie, CSRF and headers)


def register_error_handlers(app: Flask) -> None:
    from backend.http.errors import register_error_handlers as _register

    _register(app)


def register_commands(app: Flask) -> None:
    from backend.cli import register

    register(app)

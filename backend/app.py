"""信用淮安区 service backend: the app factory."""

from __future__ import annotations

import logging

from flask import Flask

from backend.platform.config import Config


def create_app(config: Config | dict | None = None) -> Flask:
    """Build the app. ``config`` may be a :class:`Config`, a dict of overrides, or None (environment)."""
    cfg = config if isinstance(config, Config) else Config.from_env()
    app = Flask(__name__, instance_relative_config=False)
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
    from backend.common.privacy import install_log_masking

    install_log_masking()  # no ID number or phone in any log line, werkzeug's request line without its query
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces every autogenerate plugin at INFO; keep "Running upgrade …" lines only.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _configure_http(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from backend.http.registry import BoundedIntConverter

    # An id beyond the primary keys' range cannot exist: the route does not match (404), the database never sees it.
    app.url_map.converters["int"] = BoundedIntConverter
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a load balancer: the client IP (rate limits, audit) and the public host (share URLs)
        # come from X-Forwarded-* set by that many trusted proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from backend.common import crypto
    from backend.http.extensions import Database, current_job_runtime, limiter
    from backend.http.pipeline import register_request_pipeline
    from backend.platform import jobs
    from backend.platform.store import make_store

    crypto.configure(app.config["PII_KEYS"], app.config["PII_ACTIVE_KEY"], app.config["PII_INDEX_KEY"])
    _configure_audit(app)
    db = Database()
    db.init_app(app)
    app.extensions["kv"] = make_store(app.config.get("REDIS_URL"))
    queue = jobs.make_queue(app.config.get("REDIS_URL"), inline=bool(app.config.get("JOBS_INLINE", True)))
    app.extensions["job_runtime"] = runtime = jobs.JobRuntime(
        new_session=db.new_session, queue=queue, settings=app.config)
    jobs.configure(runtime, current=current_job_runtime)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    register_request_pipeline(app)
    register_side_effects(app)


def register_side_effects(app: Flask) -> None:
    """The after-commit side effects of domain changes, wired with this app's store and queue:
    the card cache on the key-value store, and the one listener that drops changed subjects'
    cards, enqueues their rescoring and drops changed accounts' cached login sessions
    (``backend/subjects/changes.py``)."""
    from backend.cards.cache import CARD_TTL, CardCache
    from backend.http.extensions import get_queue, get_store
    from backend.sessions import cache as sessions_cache
    from backend.subjects.changes import listen_for_changes

    store = get_store(app)
    cards = CardCache(store, int(app.config.get("CARD_CACHE_TTL", CARD_TTL)))
    app.extensions["card_cache"] = cards

    # Bumps the changed accounts' session generations after commit; retries what Redis missed.
    drop_sessions = sessions_cache.Invalidator(
        store, int(app.config.get("ACCOUNT_CACHE_TTL", sessions_cache.DEFAULT_TTL)))
    app.extensions["session_invalidator"] = drop_sessions

    listen_for_changes(
        app.extensions["database"].sessionmaker,
        drop_cards=cards.drop,
        enqueue=get_queue(app).enqueue,
        drop_sessions=drop_sessions,
    )


def _configure_audit(app: Flask) -> None:
    from backend.common import audit, audit_checkpoints

    keys = dict(app.config.get("AUDIT_KEYS") or {})
    active = app.config.get("AUDIT_ACTIVE_KEY") or ""
    if not keys:
        # A Config built in code (tests, scripts) without audit keys: keys derived from SECRET_KEY.
        # Config.from_env is the gate that requires AUDIT_KEYS in production.
        keys, active = Config(SECRET_KEY=app.config["SECRET_KEY"]).audit_keyring()
    audit.configure(keys, active or next(iter(keys)))
    audit_checkpoints.configure(app.config.get("AUDIT_CHECKPOINT_FILE") or "")


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

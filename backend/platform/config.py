"""Configuration from the environment, with explicit coercion.

With no environment at all the app runs in development mode on a SQLite file and in-process cache
and queue, so ``make run`` works on a bare machine. Production (``APP_ENV=production``) refuses to
start without its secrets.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the checkout (this file is backend/platform/config.py)


class ConfigError(RuntimeError):
    """The environment is missing or mis-states a setting."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from exc


def parse_pii_keys(raw: str, name: str = "PII_KEYS") -> dict[str, bytes]:
    """``PII_KEYS`` (and ``AUDIT_KEYS``) is ``kid:base64key,kid2:base64key``; the first key is the active one."""
    keys: dict[str, bytes] = {}
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not kid:
            raise ConfigError(f"{name} entries look like 'k1:<base64 of 32 bytes>'")
        if len(kid) > 16:
            raise ConfigError(f"{name} key id {kid!r} is longer than 16 characters")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ConfigError(f"{name} key {kid!r} is not base64") from exc
        if len(key) != 32:
            raise ConfigError(f"{name} key {kid!r} must be 32 bytes")
        keys[kid] = key
    if not keys:
        raise ConfigError(f"{name} is empty")
    return keys


def _derived(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


SECRET_KEY_FILE = "secret_key"


def instance_secret(instance: Path) -> str:
    """This development instance's own random SECRET_KEY, made on first start (``instance/secret_key``).

    A default written in the code is public: anyone who reads it could sign a credit_admin token for
    a reachable development instance. The file is created with mode 0600 (owner only) and kept, so
    tokens and the derived development keys (PII, audit) survive restarts.
    """
    path = instance / SECRET_KEY_FILE
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        # O_EXCL: two processes starting at once do not overwrite each other's secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process is creating it this very moment: wait for its content (a few ms).
        for _ in range(200):
            existing = path.read_text().strip()
            if existing:
                return existing
            time.sleep(0.01)
        raise ConfigError(f"{path} exists but is empty: delete it or set SECRET_KEY") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


DEV_PUBLIC_BASE_URL = "http://localhost:5000"  # ``make run``'s address: printed links outside production


def printed_base_url(settings: Any) -> str:
    """The base of a link printed into a letter PDF, a QR code or a report: ``PUBLIC_BASE_URL``
    (required in production), else :data:`DEV_PUBLIC_BASE_URL` — never the request's Host header,
    which the client chooses."""
    return str(settings.get("PUBLIC_BASE_URL") or DEV_PUBLIC_BASE_URL).rstrip("/")


def check_idle_minutes(value: int | str) -> int:
    """``STAFF_CONSOLE_IDLE_MINUTES`` as a whole number of minutes between 1 and 1440."""
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"STAFF_CONSOLE_IDLE_MINUTES must be a whole number of minutes, got {value!r}") from None
    if not 1 <= minutes <= 24 * 60:
        raise ConfigError("STAFF_CONSOLE_IDLE_MINUTES must be between 1 and 1440")
    return minutes


@dataclass
class Config:
    ENV: str = "development"
    TESTING: bool = False
    SECRET_KEY: str = ""  # from the environment; in development instance/secret_key (see instance_secret)
    INSTANCE_DIR: str = str(ROOT / "instance")
    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    PII_KEYS: dict[str, bytes] = field(default_factory=dict)
    PII_ACTIVE_KEY: str = ""
    PII_INDEX_KEY: bytes = b""
    # The audit chain's HMAC keys (backend/common/audit.py), rotatable like PII_KEYS: the key id is
    # stored on every row. Empty outside production: derived from SECRET_KEY (audit_keyring()).
    AUDIT_KEYS: dict[str, bytes] = field(default_factory=dict)
    AUDIT_ACTIVE_KEY: str = ""
    # Signed checkpoints of the chain's head (backend/common/audit_checkpoints.py); empty: none kept.
    AUDIT_CHECKPOINT_FILE: str = ""
    WECHAT_MINIAPP_APPID: str = ""
    WECHAT_MINIAPP_SECRET: str = ""
    WECHAT_MP_APPID: str = ""
    WECHAT_MP_SECRET: str = ""
    WECHAT_MP_TOKEN: str = ""
    WECHAT_MP_AES_KEY: str = ""
    WECHAT_API_BASE: str = ""
    # Identity verification of 实名 binding: "self_declared" (embedded default) or a dotted path.
    IDENTITY_VERIFIER: str = "self_declared"
    REQUIRE_REAL_IDENTITY: bool = False
    ACCESS_TOKEN_TTL: int = 2 * 3600
    REFRESH_TOKEN_TTL: int = 30 * 24 * 3600
    STAFF_TOKEN_TTL: int = 10 * 3600
    RATELIMIT_ENABLED: bool = True
    RATELIMIT_LOGIN: str = "10 per minute"
    RATELIMIT_WRITE: str = "60 per minute"
    # Per client IP on /public/v1 (public firm cards, shared-card views): generous for people,
    # a brake on scrapers and on writes-per-view floods.
    RATELIMIT_PUBLIC: str = "120 per minute"
    BATCH_MAX_ROWS: int = 10_000
    # Number of reverse proxies in front of gunicorn whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES: int = 0
    # Absolute base of links we hand out (shared cards, QR codes, report links). Required in
    # production: a URL printed into a PDF or a report is never built from the request's Host header.
    # Elsewhere empty: shares use the request's own host, printed links DEV_PUBLIC_BASE_URL.
    PUBLIC_BASE_URL: str = ""
    CARD_CACHE_TTL: int = 3600  # seconds a cached 信用名片 lives (backend/cards/cache.py)
    # Seconds the session + account state checked on every mini-program request is cached (0: off);
    # changes invalidate it after commit (backend/sessions/cache.py), the TTL is a backstop.
    ACCOUNT_CACHE_TTL: int = 60
    SQL_ECHO: bool = False
    # RQ: run jobs inline when no Redis (embedded default) or when forced (tests).
    JOBS_INLINE: bool = True
    # Per user and per client IP on the GETs that build a file (letter PDF, report XLSX): each one
    # costs a rendering, unlike an ordinary read (backend/http/ratelimit.py ``heavy_read``).
    RATELIMIT_DOWNLOAD: str = "30 per minute"
    # The staff console's session ends after this many minutes without a request (1-1440).
    STAFF_CONSOLE_IDLE_MINUTES: int = 30
    # A TrueType CJK font for the commitment letter PDF; empty: Debian's fonts-wqy-microhei
    # (backend/commitments/letters.py DEFAULT_FONT_PATHS).
    LETTER_FONT_PATH: str = ""
    # Where the monthly commitment reports are written; empty: <INSTANCE_DIR>/reports.
    COMMITMENT_REPORTS_DIR: str = ""

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def audit_keyring(self) -> tuple[dict[str, bytes], str]:
        """The audit MAC keys and the active key id (outside production, derived from SECRET_KEY if unset)."""
        keys = dict(self.AUDIT_KEYS) or ({} if self.is_production else {"dev": _derived(self.SECRET_KEY, "audit-mac")})
        if not keys:
            raise ConfigError("AUDIT_KEYS is required in production")
        active = self.AUDIT_ACTIVE_KEY or next(iter(keys))
        if active not in keys:
            raise ConfigError(f"AUDIT_ACTIVE_KEY {active!r} is not in AUDIT_KEYS")
        return keys, active

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if environ is None else environ)
        app_env = env.get("APP_ENV", "development").strip() or "development"
        prod = app_env == "production"
        cfg = cls(ENV=app_env)
        secret = env.get("SECRET_KEY", "")
        if prod and (not secret or len(secret) < 32):
            raise ConfigError("SECRET_KEY (at least 32 characters) is required in production")
        instance = Path(env.get("INSTANCE_DIR", "") or ROOT / "instance")
        cfg.INSTANCE_DIR = str(instance)
        cfg.SECRET_KEY = secret or instance_secret(instance)
        cfg.DATABASE_URL = env.get("DATABASE_URL", "") or f"sqlite:///{instance / 'credit.sqlite3'}"
        if cfg.DATABASE_URL.startswith("postgresql://"):
            cfg.DATABASE_URL = "postgresql+psycopg://" + cfg.DATABASE_URL[len("postgresql://"):]
        cfg.REDIS_URL = env.get("REDIS_URL", "")
        raw_keys = env.get("PII_KEYS", "")
        if raw_keys:
            cfg.PII_KEYS = parse_pii_keys(raw_keys)
        elif prod:
            raise ConfigError("PII_KEYS is required in production")
        else:
            cfg.PII_KEYS = {"dev": _derived(cfg.SECRET_KEY, "pii-encryption")}
        cfg.PII_ACTIVE_KEY = env.get("PII_ACTIVE_KEY", "") or next(iter(cfg.PII_KEYS))
        if cfg.PII_ACTIVE_KEY not in cfg.PII_KEYS:
            raise ConfigError(f"PII_ACTIVE_KEY {cfg.PII_ACTIVE_KEY!r} is not in PII_KEYS")
        raw_audit = env.get("AUDIT_KEYS", "")
        if raw_audit:
            cfg.AUDIT_KEYS = parse_pii_keys(raw_audit, "AUDIT_KEYS")
        elif prod:
            raise ConfigError("AUDIT_KEYS is required in production")
        cfg.AUDIT_ACTIVE_KEY = env.get("AUDIT_ACTIVE_KEY", "")
        cfg.AUDIT_KEYS, cfg.AUDIT_ACTIVE_KEY = cfg.audit_keyring()
        cfg.AUDIT_CHECKPOINT_FILE = env.get("AUDIT_CHECKPOINT_FILE", "") or str(instance / "audit-checkpoints.jsonl")
        index_key = env.get("PII_INDEX_KEY", "")
        if index_key:
            cfg.PII_INDEX_KEY = base64.b64decode(index_key)
        elif prod:
            raise ConfigError("PII_INDEX_KEY is required in production")
        else:
            cfg.PII_INDEX_KEY = _derived(cfg.SECRET_KEY, "pii-blind-index")
        for name in (
            "WECHAT_MINIAPP_APPID", "WECHAT_MINIAPP_SECRET", "WECHAT_MP_APPID", "WECHAT_MP_SECRET",
            "WECHAT_MP_TOKEN", "WECHAT_MP_AES_KEY", "WECHAT_API_BASE", "IDENTITY_VERIFIER",
            "RATELIMIT_LOGIN", "RATELIMIT_WRITE", "RATELIMIT_PUBLIC", "RATELIMIT_DOWNLOAD", "PUBLIC_BASE_URL",
            "LETTER_FONT_PATH",
        ):
            if env.get(name):
                setattr(cfg, name, env[name])
        if cfg.WECHAT_MINIAPP_APPID and not cfg.WECHAT_MINIAPP_SECRET:
            raise ConfigError("WECHAT_MINIAPP_SECRET is required when WECHAT_MINIAPP_APPID is set")
        cfg.REQUIRE_REAL_IDENTITY = _bool(env.get("REQUIRE_REAL_IDENTITY"), prod)
        cfg.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        cfg.SQL_ECHO = _bool(env.get("SQL_ECHO"))
        cfg.JOBS_INLINE = _bool(env.get("JOBS_INLINE"), not cfg.REDIS_URL)
        cfg.ACCESS_TOKEN_TTL = _int("ACCESS_TOKEN_TTL", env.get("ACCESS_TOKEN_TTL"), cfg.ACCESS_TOKEN_TTL)
        cfg.REFRESH_TOKEN_TTL = _int("REFRESH_TOKEN_TTL", env.get("REFRESH_TOKEN_TTL"), cfg.REFRESH_TOKEN_TTL)
        cfg.STAFF_TOKEN_TTL = _int("STAFF_TOKEN_TTL", env.get("STAFF_TOKEN_TTL"), cfg.STAFF_TOKEN_TTL)
        cfg.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", env.get("TRUSTED_PROXIES"), cfg.TRUSTED_PROXIES)
        cfg.BATCH_MAX_ROWS = _int("BATCH_MAX_ROWS", env.get("BATCH_MAX_ROWS"), cfg.BATCH_MAX_ROWS)
        cfg.CARD_CACHE_TTL = _int("CARD_CACHE_TTL", env.get("CARD_CACHE_TTL"), cfg.CARD_CACHE_TTL)
        cfg.ACCOUNT_CACHE_TTL = _int("ACCOUNT_CACHE_TTL", env.get("ACCOUNT_CACHE_TTL"), cfg.ACCOUNT_CACHE_TTL)
        if cfg.CARD_CACHE_TTL <= 0:
            raise ConfigError("CARD_CACHE_TTL must be a positive number of seconds")
        if cfg.ACCOUNT_CACHE_TTL < 0:
            raise ConfigError("ACCOUNT_CACHE_TTL must be 0 (off) or a positive number of seconds")
        if cfg.PUBLIC_BASE_URL and not cfg.PUBLIC_BASE_URL.startswith(("https://", "http://")):
            raise ConfigError("PUBLIC_BASE_URL must be an absolute http(s) URL")
        if prod and not cfg.PUBLIC_BASE_URL:
            raise ConfigError("PUBLIC_BASE_URL is required in production (the verify links printed into "
                              "letters and reports are never built from the request's Host header)")
        cfg.STAFF_CONSOLE_IDLE_MINUTES = check_idle_minutes(
            _int("STAFF_CONSOLE_IDLE_MINUTES", env.get("STAFF_CONSOLE_IDLE_MINUTES"), cfg.STAFF_CONSOLE_IDLE_MINUTES))
        cfg.COMMITMENT_REPORTS_DIR = env.get("COMMITMENT_REPORTS_DIR", "") or str(instance / "reports")
        return cfg

    def as_flask(self) -> dict[str, Any]:
        """The settings Flask and its extensions read from ``app.config``."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out.update(
            API_TITLE="信用淮安区 service API",
            API_VERSION="v1",
            OPENAPI_VERSION="3.0.3",
            OPENAPI_URL_PREFIX="/",
            OPENAPI_JSON_PATH="openapi.json",
            OPENAPI_SWAGGER_UI_PATH="docs",
            OPENAPI_SWAGGER_UI_URL="/docs/assets/",
            JSON_AS_ASCII=False,
            RATELIMIT_STORAGE_URI=self.REDIS_URL or "memory://",
            # A 10,000-row CSV batch is ~1.2 MB; nothing legitimate comes near this (413 beyond it).
            MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        )
        return out

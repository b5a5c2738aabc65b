"""Secrets from the environment; a development instance makes its own instead of a public default."""

from __future__ import annotations

import os
import stat

import pytest

from backend.platform.config import Config, ConfigError
from tests.conftest import b64key

PROD = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "PII_KEYS": f"p1:{b64key(1)}",
        "PII_INDEX_KEY": b64key(2), "AUDIT_KEYS": f"a1:{b64key(3)}", "PUBLIC_BASE_URL": "https://xy.huaian.gov.cn"}


def test_a_development_instance_signs_with_its_own_random_secret_kept_owner_only(tmp_path):
    first = Config.from_env({"INSTANCE_DIR": str(tmp_path / "one")})
    again = Config.from_env({"INSTANCE_DIR": str(tmp_path / "one")})
    other = Config.from_env({"INSTANCE_DIR": str(tmp_path / "two")})
    assert first.SECRET_KEY != "dev-secret-not-for-production" and len(first.SECRET_KEY) >= 32
    assert again.SECRET_KEY == first.SECRET_KEY  # kept: tokens and derived keys survive a restart
    assert other.SECRET_KEY != first.SECRET_KEY  # per instance, not per codebase
    path = tmp_path / "one" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The development PII and audit keys derive from it, so they are not public either.
    assert first.PII_KEYS != other.PII_KEYS and first.AUDIT_KEYS != other.AUDIT_KEYS
    assert first.AUDIT_CHECKPOINT_FILE == str(tmp_path / "one" / "audit-checkpoints.jsonl")


def test_an_explicit_secret_key_wins_and_writes_no_file(tmp_path):
    cfg = Config.from_env({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x" * 40})
    assert cfg.SECRET_KEY == "x" * 40 and not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "AUDIT_KEYS", "PUBLIC_BASE_URL"])
def test_production_requires_its_secrets(tmp_path, missing):
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Config.from_env({**env, "INSTANCE_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_audit_keys_rotate_by_key_id():
    cfg = Config.from_env({**PROD, "AUDIT_KEYS": f"a1:{b64key(3)},a2:{b64key(4)}", "AUDIT_ACTIVE_KEY": "a2"})
    assert set(cfg.AUDIT_KEYS) == {"a1", "a2"} and cfg.AUDIT_ACTIVE_KEY == "a2"
    assert Config.from_env(PROD).AUDIT_ACTIVE_KEY == "a1"  # the first listed, by default
    with pytest.raises(ConfigError, match="AUDIT_ACTIVE_KEY"):
        Config.from_env({**PROD, "AUDIT_ACTIVE_KEY": "a9"})
    with pytest.raises(ConfigError, match="AUDIT_KEYS"):
        Config.from_env({**PROD, "AUDIT_KEYS": "a1:not-base64!"})


def test_settings_read_where_used_come_from_the_config(tmp_path):
    """STAFF_CONSOLE_IDLE_MINUTES, LETTER_FONT_PATH, COMMITMENT_REPORTS_DIR and RATELIMIT_DOWNLOAD are
    Config fields read from the environment like the others, with their defaults."""
    base = {"INSTANCE_DIR": str(tmp_path)}
    cfg = Config.from_env(base)
    assert cfg.STAFF_CONSOLE_IDLE_MINUTES == 30 and cfg.LETTER_FONT_PATH == ""
    assert cfg.COMMITMENT_REPORTS_DIR == str(tmp_path / "reports") and cfg.RATELIMIT_DOWNLOAD == "30 per minute"
    cfg = Config.from_env({**base, "STAFF_CONSOLE_IDLE_MINUTES": "15", "LETTER_FONT_PATH": "/opt/fonts/simsun.ttf",
                           "COMMITMENT_REPORTS_DIR": "/srv/reports", "RATELIMIT_DOWNLOAD": "5 per minute"})
    assert cfg.as_flask()["STAFF_CONSOLE_IDLE_MINUTES"] == 15 and cfg.LETTER_FONT_PATH == "/opt/fonts/simsun.ttf"
    assert cfg.COMMITMENT_REPORTS_DIR == "/srv/reports" and cfg.RATELIMIT_DOWNLOAD == "5 per minute"
    for bad in ("abc", "0", "1441"):
        with pytest.raises(ConfigError, match="STAFF_CONSOLE_IDLE_MINUTES"):
            Config.from_env({**base, "STAFF_CONSOLE_IDLE_MINUTES": bad})

"""The Alembic path builds exactly the schema the models describe, and can be walked back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from backend.calendar.models import CalendarDay
from backend.models import metadata
from backend.platform.db import make_engine
from backend.platform.migrate import alembic_config, upgrade
from backend.staff.models import Department


def _differences(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(ctx, metadata)


def test_one_linear_history():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, "two migrations claim the same parent: chain yours after the head"
    revisions = [r.revision for r in scripts.walk_revisions("base", "heads")][::-1]
    assert revisions[:3] == ["0001", "0002", "0003"]


def test_fresh_sqlite_upgrade_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_database_under_test_matches_the_models(engine):
    # SQLite or PostgreSQL, whichever this run uses (the session fixture migrated it).
    assert _differences(engine) == []


def test_downgrade_to_base_and_upgrade_again_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        command.upgrade(cfg, "head")
        assert _differences(engine) == []
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(CalendarDay)).scalar() > 500
            assert conn.execute(select(func.count()).select_from(Department)).scalar() >= 20
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() is not None
    finally:
        engine.dispose()


def test_data_migrations_step_down_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'steps.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0003")
    engine = make_engine(url)
    try:
        command.downgrade(cfg, "0002")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Department)).scalar() == 0
            assert conn.execute(select(func.count()).select_from(CalendarDay)).scalar() > 500
        command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(CalendarDay)).scalar() == 0
    finally:
        engine.dispose()


def test_an_existing_sqlite_database_with_data_upgrades_in_place(tmp_path):
    """A developer's instance/credit.sqlite3 of the previous release (0004), with a firm in it,
    upgrades to head: batch migrations rebuild tables other rows reference (subjects)."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0004")
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO subjects (id, kind, created_at) VALUES (1, 'firm', '2026-11-30 08:00:00')"))
        conn.execute(text(
            "INSERT INTO firms (id, uscc, name, entity_type, region_code, legal_rep_title, reg_status, created_at) "
            "VALUES (1, '91320803MA1WHN2W8R', '淮安区佳信纺织有限公司', '91', '320803', '法定代表人', '存续', "
            "'2026-11-30 08:00:00')"))
    upgrade(url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT name FROM firms WHERE id = 1")).scalar_one() == "淮安区佳信纺织有限公司"
        assert conn.execute(text("SELECT card_version FROM subjects WHERE id = 1")).scalar_one() == 0
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    eng.dispose()

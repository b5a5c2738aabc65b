"""The engine the app and the jobs use (backend.platform.db.make_engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from backend.platform.db import make_engine


def test_a_database_error_names_the_statement_but_not_its_values(database_url):
    """Unexpected errors are logged with their traceback; SQLAlchemy's error text used to end with
    ``[parameters: ('王小明', '13912345678')]`` — a person's data in the log."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(StatementError) as caught:
            conn.execute(text("SELECT no_such_column FROM staff_users WHERE username = :name OR username = :phone"),
                         {"name": "王小明", "phone": "13912345678"})
    finally:
        engine.dispose()
    message = str(caught.value)
    assert "no_such_column" in message
    assert "王小明" not in message and "13912345678" not in message

"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from engine.db import Base
from workflows.schema import upgrade


def test_upgrade_matches_models_and_is_repeatable(empty_database):
    upgrade(empty_database)
    upgrade(empty_database)  # a second run is a no-op
    with empty_database.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert {"process_definition", "process_instance", "human_task", "timer", "audit_log", "problem",
            "measure"} <= set(inspect(empty_database).get_table_names())


def test_audit_log_is_append_only(empty_database):
    upgrade(empty_database)
    with empty_database.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, action) VALUES (CURRENT_TIMESTAMP, 'a', 'x')"))
    for statement in ("UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), empty_database.begin() as conn:
            conn.execute(text(statement))
    with empty_database.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["a"]

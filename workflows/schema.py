"""Bringing a database's schema up to date with Alembic, and telling where a database's schema stands."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
# A table every revision has: a database with it but no revision was built from the models directly.
_SCHEMA_TABLE = "process_definition"


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against the migrations this code ships.

    ``current`` is the revision recorded in the database (None: none recorded), ``head`` the one
    this code needs; ``unversioned`` marks a database whose tables were built from the models
    directly (``Base.metadata.create_all``, as the tests do), taken to be current.
    """

    current: str | None
    head: str
    unversioned: bool = False

    @property
    def initialised(self) -> bool:
        """The database holds a schema (at some revision, or built from the models)."""
        return self.current is not None or self.unversioned

    @property
    def up_to_date(self) -> bool:
        """The schema is the one this code needs."""
        return self.unversioned or self.current == self.head

    @property
    def newer(self) -> bool:
        """The database is at a revision this code does not know: a newer Rectiflow migrated it."""
        return self.current is not None and not known_revision(self.current)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision of the migrations (the schema this code needs)."""
    head = _scripts().get_current_head()
    assert head is not None, "the migrations have one head"
    return head


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of the migrations this code ships."""
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_state(connection: Connection) -> SchemaState:
    """Where the database on ``connection`` stands: one or two cheap queries, nothing changed."""
    current = MigrationContext.configure(connection).get_current_revision()
    unversioned = current is None and inspect(connection).has_table(_SCHEMA_TABLE)
    return SchemaState(current=current, head=head_revision(), unversioned=unversioned)


def upgrade(db_engine: Engine, revision: str = "head") -> SchemaState:
    """Apply every migration up to ``revision`` on ``db_engine``'s database; returns where it stood before.

    Raises ``SchemaAheadError`` when the database is at a revision this code does not know.
    """
    config = _config()
    with db_engine.begin() as connection:
        before = schema_state(connection)
        if before.newer:
            raise SchemaAheadError(before)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before


class SchemaAheadError(Exception):
    """The database was migrated by a newer Rectiflow than this one; ``state`` says where it stands."""

    def __init__(self, state: SchemaState) -> None:
        super().__init__(f"the database schema is at revision {state.current}, newer than this version of "
                         f"Rectiflow knows (its newest is {state.head})")
        self.state = state


def deploy_bundled(session, engine, actor: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Deploy every diagram in ``bpmn/``; returns one line per process (new version or unchanged)."""
    lines = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for result in engine.deploy_path(session, path, actor=actor):
            d = result.definition
            state = "deployed" if result.created else "unchanged"
            lines.append(f"{d.process_key} v{d.version} ({path.name}): {state}")
    return lines

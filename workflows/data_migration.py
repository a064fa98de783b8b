"""``rectiflow migrate-data``: copy a SQLite installation's data into PostgreSQL, nothing lost.

The source is first copied with SQLite's online backup API, so the app may keep running and the
copy still reads one consistent state. Everything on the target happens in one transaction: the
schema is created with Alembic at head (PostgreSQL's DDL is transactional), the tables are copied
in foreign-key order in batches (one ``executemany`` per batch), the sequences are moved past the
copied ids, and then every table's row count and checksum (``table_checksums``) is computed on
both sides. The transaction commits only when every table is equal; otherwise nothing is left on
the target.

JSON travels as its text (cast to ``jsonb`` on the way in), so SQL NULL and a JSON ``null`` stay
what they were, and no value is re-encoded on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Integer, Table, Text, bindparam, cast, func, inspect, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.dml import Insert

import workflows.models  # noqa: F401  (registers the domain tables)
from engine.db import Base, make_engine

from .backup import sqlite_file_connection, sqlite_path, sqlite_snapshot
from .backup_archive import scratch_folder
from .errors import DomainError
from .schema import MIGRATIONS, head_revision, schema_state
from .table_checksums import VERSION_TABLE, TableFingerprint, fingerprint_database

BATCH_ROWS = 1000


class DataMigrationError(DomainError):
    """A copy that cannot start: the source or the target is not fit; nothing was written."""


@dataclass(frozen=True)
class TableComparison:
    """One table's fingerprint on the source and on the target (None: the target lacks it)."""

    table: str
    source: TableFingerprint | None
    target: TableFingerprint | None

    @property
    def equal(self) -> bool:
        return self.source is not None and self.target is not None and self.source.rows == self.target.rows \
            and self.source.checksum == self.target.checksum


@dataclass(frozen=True)
class MigrationReport:
    """What ``migrate_to_postgresql`` found; ``committed``: the copy was kept (every table equal)."""

    revision: str
    tables: list[TableComparison]
    sequences: int
    committed: bool

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)


def migrate_to_postgresql(source: Engine, target_url: str, batch_rows: int = BATCH_ROWS) -> MigrationReport:
    """Copy the SQLite database of ``source`` into the empty PostgreSQL database at ``target_url``."""
    check_target_url(target_url)
    if source.dialect.name != "sqlite":
        raise DataMigrationError(f"migrate-data copies a SQLite installation; the configured database is "
                                 f"{source.dialect.name}")
    source_file = sqlite_path(source)
    target = make_engine(target_url)
    try:
        with scratch_folder(source_file.absolute().parent) as scratch:
            snapshot = scratch / "snapshot.sqlite3"
            sqlite_snapshot(source_file, snapshot)
            with sqlite_file_connection(snapshot) as reader:
                revision = _check_source(reader)
                with target.connect() as writer:
                    return _copy_all(reader, writer, revision, batch_rows)
    finally:
        target.dispose()


def check_target_url(target_url: str) -> None:
    """Refuse a ``--to`` that is not a PostgreSQL URL (``DataMigrationError``)."""
    try:
        target_backend = make_url(target_url).get_backend_name()
    except Exception:  # SQLAlchemy's ArgumentError: not a URL at all
        target_backend = ""
    if target_backend != "postgresql":
        raise DataMigrationError(f"--to must be a PostgreSQL URL (postgresql://user@host/database), got {target_url!r}")


def _check_source(reader: Connection) -> str:
    state = schema_state(reader)
    if state.current != state.head:
        raise DataMigrationError(f"the SQLite database is at schema revision {state.current}, this Rectiflow needs "
                                 f"{state.head}: run 'rectiflow init-db' on it first")
    return state.head


def _copy_all(reader: Connection, writer: Connection, revision: str, batch_rows: int) -> MigrationReport:
    transaction = writer.begin()
    try:
        _prepare_target(writer)
        for table in Base.metadata.sorted_tables:
            for batch in _batches(reader, table, batch_rows):
                writer.execute(_insert(table), batch)
        sequences = _reset_sequences(writer)
        source_prints = fingerprint_database(reader)
        target_prints = fingerprint_database(writer)
        tables = [TableComparison(name, source_prints.get(name), target_prints.get(name))
                  for name in sorted(set(source_prints) | set(target_prints))]
        report = MigrationReport(revision, tables, sequences, committed=all(t.equal for t in tables))
        if report.committed:
            transaction.commit()
        else:
            transaction.rollback()
        return report
    except BaseException:
        if transaction.is_active:
            transaction.rollback()
        raise


def _prepare_target(writer: Connection) -> None:
    """Create the schema on an empty target, or accept a schema at head with no rows; refuse anything else."""
    tables = set(inspect(writer).get_table_names())
    if not tables:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = writer  # inside this transaction: undone if the copy fails
        command.upgrade(config, "head")
        return
    known = set(Base.metadata.tables)
    revision = schema_state(writer).current
    filled = sorted(name for name in tables & known
                    if writer.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one())
    if tables - known - {VERSION_TABLE} or revision != head_revision() or filled:
        unknown = sorted(tables - known - {VERSION_TABLE})
        why = (f"it holds tables Rectiflow does not know ({', '.join(unknown)})" if unknown else
               f"its schema is at revision {revision}, not {head_revision()}" if revision != head_revision() else
               f"its tables {', '.join(filled)} hold rows")
        raise DataMigrationError(f"the target database is not empty: {why}. Copy only into a new, empty database "
                                 "(createdb) — nothing was written")


def _batches(reader: Connection, table: Table, batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    columns = [cast(c, Text).label(_json_param(c.key)) if isinstance(c.type, JSON) else c for c in table.columns]
    key = list(table.primary_key.columns)
    result = reader.execute(select(*columns).order_by(*key).execution_options(yield_per=batch_rows))
    for rows in result.partitions():
        yield [dict(row._mapping) for row in rows]


def _insert(table: Table) -> Insert:
    # JSON columns receive their source text, cast to jsonb by PostgreSQL: never decoded and re-encoded.
    json_columns = {c.key: cast(bindparam(_json_param(c.key), type_=Text), JSONB) for c in table.columns
                    if isinstance(c.type, JSON)}
    return table.insert().values(json_columns) if json_columns else table.insert()


def _json_param(key: str) -> str:
    return f"{key}__json_text"  # a column's own name is reserved for SQLAlchemy's VALUES parameters


def _reset_sequences(writer: Connection) -> int:
    """Move each table's id sequence past the copied ids, so the next row the app adds gets a new one."""
    reset = 0
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        sequence = writer.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                  {"table": table.name, "column": key[0].name}).scalar_one()
        if sequence is None:
            continue
        highest = writer.execute(select(func.max(key[0]))).scalar_one()
        writer.execute(text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
                       {"sequence": sequence, "value": highest or 1, "called": highest is not None})
        reset += 1
    return reset

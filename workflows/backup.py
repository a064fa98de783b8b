"""``rectiflow backup`` and ``restore``: the database and the evidence store in one checked file.

A backup is a consistent snapshot while the app keeps running: SQLite's online backup API copies
the database as one read transaction saw it; on PostgreSQL one repeatable-read transaction exports
its snapshot, computes the table fingerprints and hands the snapshot to ``pg_dump``, so the
manifest describes exactly the rows dumped. Evidence files are content-addressed and never
rewritten, so copying them after the snapshot loses none the snapshot refers to.

A restore goes only into an empty database of the same kind and an empty evidence store: restoring
over live data would mix two histories (ids, sequences, files), and a fresh database is one command
away, so there is no ``--force``. The backup is checked whole before anything is written (see
``backup_archive``); after the database is restored its fingerprints and schema revision are
compared with the manifest, and any difference undoes the restore (the restored tables are
dropped) and names the tables.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

from . import backup_postgres
from .backup_archive import (
    DATABASE_FILES,
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    evidence_files,
    file_digest,
    read_archive,
    scratch_folder,
    write_archive,
)
from .schema import head_revision, known_revision, schema_state
from .table_checksums import TableFingerprint, differing_tables, fingerprint_database, fingerprints_from_manifest

KINDS = tuple(DATABASE_FILES)


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds or a restore put back: the manifest and the fingerprints checked."""

    manifest: dict[str, Any]
    tables: dict[str, TableFingerprint]

    @property
    def evidence_count(self) -> int:
        return len(self.manifest["evidence"])

    @property
    def schema_revision(self) -> str:
        return str(self.manifest["schema_revision"])


def sqlite_path(db_engine: Engine) -> Path:
    """The file of a SQLite engine; ``BackupError`` for an in-memory database."""
    database = db_engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError(f"cannot back up the SQLite database {database or ':memory:'!r}: not a plain file")
    return Path(database)


def sqlite_snapshot(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` into the new file ``target`` with the online backup API:
    one consistent snapshot, even while other processes write (WAL). ``target`` is left as one
    self-contained file (rollback journal, not WAL)."""
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


@contextlib.contextmanager
def sqlite_file_connection(path: Path) -> Iterator[Connection]:
    """A connection to a SQLite file that leaves its journal mode alone (unlike ``make_engine``)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def create_backup(db_engine: Engine, evidence_dir: Path, output: Path, now: datetime) -> BackupSummary:
    """Write the backup file ``output`` of ``db_engine``'s database and the evidence store ``evidence_dir``."""
    kind = db_engine.dialect.name
    if kind not in KINDS:
        raise BackupError(f"cannot back up a {kind} database (only SQLite and PostgreSQL)")
    with scratch_folder(output.absolute().parent) as scratch:
        database = scratch / DATABASE_FILES[kind]
        extra: dict[str, Any] = {}
        if kind == "sqlite":
            sqlite_snapshot(sqlite_path(db_engine), database)
            with sqlite_file_connection(database) as connection:
                revision, tables = _describe(connection)
        else:
            with db_engine.connect() as connection:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    revision, tables = _describe(connection)
                    server = backup_postgres.server_version(connection)
                    dumped_by = backup_postgres.dump(db_engine.url, snapshot, database, server)
            extra = {"server_version": list(server), "pg_dump_version": list(dumped_by)}
        size, sha256 = file_digest(database)
        evidence = evidence_files(evidence_dir)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "schema_revision": revision,
            "database": {"kind": kind, "bytes": size, "sha256": sha256, **extra},
            "tables": {name: fingerprint.as_dict() for name, fingerprint in tables.items()},
            "evidence": [_evidence_entry(key, path) for key, path in evidence.items()],
        }
        write_archive(output, manifest, database, evidence)
    return BackupSummary(manifest, tables)


def _describe(connection: Connection) -> tuple[str, dict[str, TableFingerprint]]:
    revision = schema_state(connection).current
    if revision is None:
        raise BackupError("the database records no schema revision: run 'rectiflow init-db' first")
    return revision, fingerprint_database(connection)


def _evidence_entry(key: str, path: Path) -> dict[str, Any]:
    size, sha256 = file_digest(path)
    return {"path": key, "bytes": size, "sha256": sha256}


def restore_backup(db_engine: Engine, evidence_dir: Path, archive: Path) -> BackupSummary:
    """Restore the backup file ``archive`` into ``db_engine``'s empty database and the empty evidence
    store ``evidence_dir``; raises ``BackupError`` (having changed nothing) when it cannot."""
    kind = db_engine.dialect.name
    evidence_dir = evidence_dir.absolute()
    evidence_dir.parent.mkdir(parents=True, exist_ok=True)
    with scratch_folder(evidence_dir.parent) as scratch:  # beside the store: evidence is moved, not copied
        unpacked = read_archive(archive, scratch)
        manifest = unpacked.manifest
        expected = _recorded_tables(manifest, archive)
        _check_target(unpacked.kind, kind, manifest["schema_revision"], db_engine, evidence_dir)
        if kind == "sqlite":
            with sqlite_file_connection(unpacked.database) as connection:
                _compare(expected, fingerprint_database(connection), "the backup's database", archive)
            target = sqlite_path(db_engine)
            with contextlib.closing(sqlite3.connect(unpacked.database)) as src, \
                    contextlib.closing(sqlite3.connect(target, timeout=30)) as dst:
                src.backup(dst)
        else:
            with db_engine.connect() as connection:
                functions_before = backup_postgres.schema_functions(connection)
            dumped_by = tuple(manifest["database"].get("pg_dump_version") or (0, 0))
            backup_postgres.restore(db_engine.url, unpacked.database, (int(dumped_by[0]), int(dumped_by[1])))
        try:
            with db_engine.connect() as connection:
                restored = fingerprint_database(connection)
                revision = schema_state(connection).current
            _compare(expected, restored, "the restored database", archive)
            if revision != manifest["schema_revision"]:
                raise BackupError(f"the restored database is at schema revision {revision}, "
                                  f"the backup recorded {manifest['schema_revision']}")
        except BaseException:
            _drop_all_tables(db_engine, functions_before if kind == "postgresql" else set())
            raise
        _install_evidence(unpacked.evidence, evidence_dir)
    return BackupSummary(manifest, restored)


def _recorded_tables(manifest: dict[str, Any], archive: Path) -> dict[str, TableFingerprint]:
    try:
        return fingerprints_from_manifest(manifest["tables"])
    except ValueError as exc:
        raise BackupError(f"{archive}: its manifest is damaged ({exc})") from None


def _check_target(backup_kind: str, kind: str, revision: str, db_engine: Engine, evidence_dir: Path) -> None:
    if backup_kind != kind:
        if backup_kind == "sqlite":
            raise BackupError("this is a backup of a SQLite database and the configured database is "
                              f"{kind}: restore it into SQLite, then copy that into PostgreSQL with "
                              "'rectiflow migrate-data --to postgresql://…'")
        raise BackupError(f"this is a backup of a {backup_kind} database and the configured database is {kind}: "
                          f"a backup restores only into a database of its own kind")
    if not known_revision(revision):
        raise BackupError(f"the backup's schema revision {revision} is newer than this Rectiflow knows "
                          f"(its newest is {head_revision()}): restore it with a newer Rectiflow")
    if kind == "sqlite" and not sqlite_path(db_engine).parent.is_dir():
        raise BackupError(f"the folder {sqlite_path(db_engine).parent} does not exist")
    with db_engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise BackupError(f"the configured database is not empty ({len(tables)} tables): a backup is restored "
                          "only into an empty database; create a new one (or point RECTIFLOW_DATABASE_URL at "
                          "one) and run restore again. Nothing was changed")
    if evidence_files(evidence_dir):
        raise BackupError(f"the evidence folder {evidence_dir} already holds files: a backup is restored only "
                          "into an empty evidence folder (set RECTIFLOW_EVIDENCE_DIR). Nothing was changed")


def _compare(expected: dict[str, TableFingerprint], found: dict[str, TableFingerprint], what: str,
             archive: Path) -> None:
    differing = differing_tables(expected, found)
    if differing:
        raise BackupError(f"{what} differs from the manifest of {archive} in table(s) {', '.join(differing)}: "
                          "the backup is damaged or was altered. Nothing was restored")


def _drop_all_tables(db_engine: Engine, functions_before: set[str]) -> None:
    """Undo a restore found wrong: the database was empty before it, and is left empty again."""
    with db_engine.begin() as connection:
        if db_engine.dialect.name == "sqlite":
            # Checked at commit, when no table is left to violate them (foreign_keys=OFF is ignored
            # inside a transaction).
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for name in inspect(connection).get_table_names():
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        else:
            backup_postgres.drop_restored(connection, functions_before)


def _install_evidence(files: dict[str, Path], evidence_dir: Path) -> None:
    for key, path in files.items():
        target = evidence_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

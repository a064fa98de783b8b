"""``backup`` and ``restore``: the database and the evidence store in one checked file (workflows/backup.py)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from web.services import Services
from workflows.backup import BackupSummary, create_backup, restore_backup
from workflows.schema import head_revision

from .app_context import pass_schema_services, pass_services, setting
from .failures import display_url, fail, failures
from .tables import table

CHECKSUM_SHOWN = 16  # hex digits printed; the manifest keeps all 64


@click.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the backup file to write (a .tar.gz; an existing file is never overwritten)")
@pass_services
def backup(found: Services, output: Path) -> None:
    """Back up the database and the evidence files (佐证材料) into one file, while Rectiflow keeps running.

    SQLite is copied with its online backup API, PostgreSQL with pg_dump (its client tools must be
    installed); the file's manifest records every table's row count and checksum, checked on restore.
    """
    if output.exists():
        fail(f"{output} already exists: choose another file name (a backup never overwrites one)")
    started = time.monotonic()
    with failures():
        summary = create_backup(found.db_engine, Path(setting("EVIDENCE_DIR")), output, found.workflow_engine.clock())
    elapsed = time.monotonic() - started
    click.echo(f"backup written: {output} ({_size(output.stat().st_size)})")
    click.echo(f"database: {display_url(found.db_engine.url)}, schema revision {summary.schema_revision}")
    print_tables(summary)
    click.echo(f"evidence files: {summary.evidence_count} ({_size(_evidence_bytes(summary))})")
    click.echo(f"done in {elapsed:.1f} s")


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@pass_schema_services
def restore(found: Services, archive: Path) -> None:
    """Restore a backup file into the configured database and evidence folder, both of which must be empty.

    The backup must be of the same kind of database (SQLite or PostgreSQL; to move SQLite data into
    PostgreSQL use migrate-data). Every table's rows are checked against the backup's manifest
    afterwards: any difference undoes the restore and names the tables.
    """
    started = time.monotonic()
    with failures():
        summary = restore_backup(found.db_engine, Path(setting("EVIDENCE_DIR")), archive)
    elapsed = time.monotonic() - started
    click.echo(f"restored {archive} (taken {summary.manifest['created_at']}) "
               f"into {display_url(found.db_engine.url)}")
    print_tables(summary)
    click.echo(f"evidence files: {summary.evidence_count} restored into {setting('EVIDENCE_DIR')}")
    click.echo(f"every table matches the backup's manifest (schema revision {summary.schema_revision})")
    if summary.schema_revision != head_revision():
        click.echo(f"this Rectiflow needs schema revision {head_revision()}: run 'rectiflow init-db' to upgrade")
    click.echo(f"done in {elapsed:.1f} s")


def print_tables(summary: BackupSummary) -> None:
    """One line per table: its rows and the start of its checksum."""
    rows = [[name, str(f.rows), f.checksum[:CHECKSUM_SHOWN]] for name, f in summary.tables.items()]
    table(["table", "rows", "checksum"], rows)
    click.echo(f"{len(rows)} tables, {sum(f.rows for f in summary.tables.values())} rows")


def _evidence_bytes(summary: BackupSummary) -> int:
    return sum(int(entry["bytes"]) for entry in summary.manifest["evidence"])


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    scaled = float(size)
    for unit in ("KB", "MB", "GB"):
        scaled /= 1024
        if scaled < 1024 or unit == "GB":
            break
    return f"{scaled:.1f} {unit}"


COMMANDS = [backup, restore]

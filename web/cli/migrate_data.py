"""``migrate-data``: copy the configured SQLite installation into PostgreSQL (workflows/data_migration.py)."""

from __future__ import annotations

import time

import click
from sqlalchemy.engine import make_url

from web.services import Services
from workflows.data_migration import MigrationReport, check_target_url, migrate_to_postgresql

from .app_context import check_database, pass_services
from .failures import display_url, failures
from .tables import table

CHECKSUM_SHOWN = 16  # hex digits printed of each SHA-256


@click.command("migrate-data")
@click.option("--to", "target_url", required=True, metavar="postgresql://USER@HOST/DATABASE",
              help="the PostgreSQL database to copy into: new and empty (or Rectiflow's schema with no rows)")
@pass_services
def migrate_data(found: Services, target_url: str) -> None:
    """Copy every row of the configured SQLite database into PostgreSQL, and prove nothing was lost.

    The app may keep running: the copy reads a snapshot. The target gets the schema (Alembic) and
    the rows in one transaction, kept only if every table's row count and checksum equal the
    source's; exit status 1 otherwise. Evidence files stay where they are (EVIDENCE_DIR).
    """
    started = time.monotonic()
    with failures():
        check_target_url(target_url)  # the arguments first: refused alike whatever the database's state
        check_database(found.db_engine)  # reachable and at the schema this code needs
    with failures(make_url(target_url)):
        report = migrate_to_postgresql(found.db_engine, target_url)
    elapsed = time.monotonic() - started
    target = make_url(target_url)
    click.echo(f"from {display_url(found.db_engine.url)} to {display_url(target)} "
               f"(schema revision {report.revision})")
    print_comparison(report)
    if not report.committed:
        click.echo("the copy differs from the source: nothing was kept on the target", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"copied and checked: every table equal; {report.sequences} sequences reset; "
               f"done in {elapsed:.1f} s")
    click.echo(f"to use it, set RECTIFLOW_DATABASE_URL={display_url(target)}")


def print_comparison(report: MigrationReport) -> None:
    """One line per table: rows on each side, the source's checksum, and whether the target's equals it."""
    rows = []
    for t in report.tables:
        source_rows = str(t.source.rows) if t.source else "-"
        target_rows = str(t.target.rows) if t.target else "-"
        shown = t.source or t.target
        rows.append([t.table, source_rows if source_rows == target_rows else f"{source_rows} -> {target_rows}",
                     shown.checksum[:CHECKSUM_SHOWN] if shown is not None else "-", "yes" if t.equal else "NO"])
    table(["table", "rows", "checksum", "equal"], rows)
    total = sum(t.source.rows for t in report.tables if t.source)
    click.echo(f"{len(rows)} tables, {total} rows; {sum(not t.equal for t in report.tables)} differ")


COMMANDS = [migrate_data]

"""Database commands: ``init-db`` (schema and bundled diagrams), ``deploy`` (diagrams)."""

from __future__ import annotations

from pathlib import Path

import click

from web.services import Services
from workflows.schema import deploy_bundled, head_revision, upgrade

from .app_context import pass_schema_services, pass_services
from .failures import display_url, failures


@click.command("init-db")
@click.option("--user", "login", default="admin", show_default=True, help="who deploys (for the audit log)")
@pass_schema_services
def init_db(found: Services, login: str) -> None:
    """Create or upgrade the database schema (Alembic migrations) and deploy the bundled diagrams."""
    with failures():
        before = upgrade(found.db_engine)
        with found.unit_of_work() as session:
            lines = deploy_bundled(session, found.workflow_engine, actor=login)
    head = head_revision()
    if before.current == head:
        schema = f"schema at revision {head}, already current"
    elif before.current is None:
        schema = f"schema created at revision {head}"
    else:
        schema = f"schema upgraded from revision {before.current} to {head}"
    click.echo(f"database ready: {display_url(found.db_engine.url)}")
    click.echo(schema)
    for line in lines:
        click.echo(line)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "login", default="admin", show_default=True, help="who deploys (for the audit log)")
@pass_services
def deploy(found: Services, files: tuple[Path, ...], login: str) -> None:
    """Deploy BPMN files (default: every diagram in bpmn/) as new versions when changed."""
    # Deploying comes before anyone can sign in (init-db, deploy, then people), so the
    # login is recorded as given rather than looked up.
    engine = found.workflow_engine
    with failures(), found.unit_of_work() as session:
        if not files:
            lines = deploy_bundled(session, engine, actor=login)
        else:
            lines = []
            for path in files:
                for result in engine.deploy_path(session, path, actor=login):
                    d = result.definition
                    lines.append(f"{d.process_key} v{d.version} ({path.name}): "
                                 f"{'deployed' if result.created else 'unchanged'}")
    for line in lines:
        click.echo(line)


COMMANDS = [init_db, deploy]

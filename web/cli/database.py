"""Database commands: ``init-db`` (schema), ``deploy`` (diagrams)."""

from __future__ import annotations

from pathlib import Path

import click

from web.services import Services
from workflows.schema import deploy_bundled, upgrade

from .app_context import pass_services
from .failures import failures


@click.command("init-db")
@pass_services
def init_db(found: Services) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    with failures():
        upgrade(found.db_engine)
    click.echo(f"database ready: {found.db_engine.url.render_as_string(hide_password=True)}")


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

"""Database commands: ``init-db`` (schema and bundled diagrams), ``deploy`` (diagrams)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from engine.deploy import check_diagram
from engine.services import ServiceRegistry
from engine.state_upgrade import upgrade_stored_states
from web.service_settings import service_registry
from web.services import Services
from workflows.schema import SCHEMA_LOCK_SECONDS, SchemaLockTimeout, deploy_bundled, head_revision, schema_lock, upgrade

from .app_context import pass_schema_services, pass_services
from .failures import display_url, fail, failures


@click.command("init-db")
@click.option("--user", "login", default="admin", show_default=True, help="who deploys (for the audit log)")
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=SCHEMA_LOCK_SECONDS, show_default=True,
              metavar="SECONDS", help="how long to wait for another init-db setting up the same database")
@pass_schema_services
def init_db(found: Services, login: str, wait: float) -> None:
    """Create or upgrade the database schema (Alembic migrations) and deploy the bundled diagrams.

    Safe to run from several processes at once (containers starting together): one migrates and
    deploys under a database-wide lock, the others wait for it and find everything done.
    """
    def waiting() -> None:
        click.echo("waiting for another 'rectiflow init-db' on this database to finish ...", err=True)

    with failures():
        try:
            with schema_lock(found.db_engine, wait=wait, on_wait=waiting):
                before = upgrade(found.db_engine)
                with found.unit_of_work() as session:
                    lines = deploy_bundled(session, found.workflow_engine, actor=login)
                # States saved by an older SpiffWorkflow serializer are upgraded now rather than on first load.
                states = upgrade_stored_states(found.workflow_engine, found.session_factory)
                if states.upgraded or states.refused:
                    lines.append(states.summary())
        except SchemaLockTimeout as exc:
            fail(str(exc))
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
@click.option("--check", is_flag=True,
              help="only check the files: list every problem of every file (nothing is written); "
                   "exit status 1 when any file would be refused")
@pass_services
def deploy(found: Services, files: tuple[Path, ...], login: str, check: bool) -> None:
    """Deploy BPMN files (default: every diagram in bpmn/) as new versions when changed."""
    if check:
        check_files(files, service_registry(current_app.config))
        return
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


def check_files(files: tuple[Path, ...], services: ServiceRegistry) -> None:
    """``deploy --check``: every problem of every file, one per line; exit 1 if there is any.

    Service tasks are checked against the services this installation enables (``SERVICES``)."""
    if not files:
        raise click.UsageError("deploy --check needs the BPMN files to check")
    refused = 0
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as exc:
            click.echo(f"{path}: cannot read the file: {exc.strerror}")
            refused += 1
            continue
        problems = check_diagram(content, path.name, services=services)
        for problem in problems:
            click.echo(problem.message)
        if problems:
            refused += 1
        else:
            click.echo(f"{path.name}: ok, deployable")
    if refused:
        click.echo(f"{refused} of {len(files)} file(s) would be refused", err=True)
        raise click.exceptions.Exit(1)


COMMANDS = [init_db, deploy]

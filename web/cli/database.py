"""Database commands: ``init-db`` (schema), ``deploy`` (diagrams), ``demo`` (the demo organisation and plan)."""

from __future__ import annotations

from pathlib import Path

import click

from web.services import Services
from workflows.deadlines import china_date
from workflows.demo import DEMO_PASSWORD, create_demo_plan
from workflows.people import person_by_login
from workflows.schema import deploy_bundled, upgrade

from .app_context import pass_services
from .failures import fail, failures


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


@click.command()
@pass_services
def demo(found: Services) -> None:
    """Set up the schema, deploy the diagrams and load the demo organisation and plan."""
    engine = found.workflow_engine
    with failures():
        upgrade(found.db_engine)
        with found.unit_of_work() as session:
            deploy_bundled(session, engine, actor="admin")
            if person_by_login(session, "admin") is not None:
                fail("the demo is already loaded in this database")
            now = engine.clock()
            round_ = create_demo_plan(session, engine, today=china_date(now), at=now)
            problems = sum(len(p.problems) for p in round_.parts)
            measures = sum(len(pr.measures) for p in round_.parts for pr in p.problems)
            summary = (f"round {round_.id}: {len(round_.parts)} parts, {problems} problems, "
                       f"{measures} measures")
    click.echo(f"demo loaded: {summary}")
    click.echo(f"people (password {DEMO_PASSWORD}): admin, ducha (督查), shuji, fushuji (领导), "
               "bgs, zzk, wwk, dwk, dzz (经办人)")


COMMANDS = [init_db, deploy, demo]

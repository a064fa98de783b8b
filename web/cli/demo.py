"""``demo``: the demo organisation (units, people) and the demo plan."""

from __future__ import annotations

import click

from web.services import Services
from workflows.deadlines import china_date
from workflows.demo import DEMO_PASSWORD, create_demo_plan
from workflows.people import person_by_login
from workflows.schema import deploy_bundled, upgrade

from .app_context import pass_services
from .failures import fail, failures


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


COMMANDS = [demo]

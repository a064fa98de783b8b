"""``demo``: the demo organisation (units, people) and the demo plan, added to whatever is there."""

from __future__ import annotations

import click

from web.services import Services
from workflows.deadlines import china_date
from workflows.demo import DEMO_PASSWORD, PEOPLE, DemoClash, load_demo
from workflows.schema import deploy_bundled, upgrade

from .app_context import pass_schema_services
from .failures import fail, failures

ROLE_LABELS = {"admin": "管理员", "supervision": "督查", "leader": "领导", "officer": "经办人"}


@click.command()
@pass_schema_services
def demo(found: Services) -> None:
    """Set up the schema, deploy the diagrams and add the demo organisation and plan.

    Units and people already in the database are reused when they agree with the demo's (same
    code or name, same login and name); a clash is reported and changes nothing. Running it
    again adds nothing.
    """
    engine = found.workflow_engine
    with failures():
        upgrade(found.db_engine)
        try:
            with found.unit_of_work() as session:
                deploy_bundled(session, engine, actor="admin")
                now = engine.clock()
                result = load_demo(session, engine, today=china_date(now), at=now)
                round_ = result.round or result.existing_round
                assert round_ is not None
                problems = sum(len(p.problems) for p in round_.parts)
                measures = sum(len(pr.measures) for p in round_.parts for pr in p.problems)
                summary = (f"round {round_.id}: {len(round_.parts)} parts, {problems} problems, "
                           f"{measures} measures")
        except DemoClash as exc:
            for clash in exc.clashes:
                click.echo(clash, err=True)
            fail(str(exc))
    if not result.added_anything:
        click.echo(f"demo already loaded, nothing added: {summary}")
        return
    click.echo(f"demo loaded: {summary}" if result.round else f"demo round already there: {summary}")
    if result.units_added:
        click.echo(f"units added: {', '.join(result.units_added)}")
    if result.people_added:
        roles = {login: "/".join(ROLE_LABELS[r.value] for r in rs) for login, _, _, rs in PEOPLE}
        names = ", ".join(f"{login} ({roles[login]})" for login in result.people_added)
        click.echo(f"people (password {DEMO_PASSWORD}): {names}")
    if result.units_reused or result.people_reused:
        click.echo(f"already there, reused: {', '.join(result.units_reused + result.people_reused)}"
                   + (" (their passwords are unchanged)" if result.people_reused else ""))


COMMANDS = [demo]

"""``incidents``: timers that failed on every retry, and ``incidents retry ID`` to put one back.

A due timer whose instance fails to advance is tried again on the next ticks; after the last
retry (``engine.incidents.MAX_TIMER_ATTEMPTS``) it is an incident and waits for an
administrator, who fixes the cause (the data, a deadline, the diagram) and retries it: it
fires on the next tick (audited as ``incident_retry`` under ``--user``).
"""

from __future__ import annotations

import click

from engine import Actor
from engine.incidents import MAX_TIMER_ATTEMPTS
from web.formatting import local_datetime
from web.services import Services
from workflows.people_accounts import admin_login
from workflows.tick_summary import timer_items

from .app_context import pass_services
from .failures import failures
from .tables import cut, table

ERROR_PREVIEW = 60  # wide characters of the last error in the list


@click.group("incidents", invoke_without_command=True)
@click.pass_context
def incidents(ctx: click.Context) -> None:
    """List the timers that became incidents (same as 'incidents list'); 'incidents retry ID' puts one back."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@incidents.command("list")
@pass_services
def list_command(found: Services) -> None:
    """Timers that failed on every retry: id, problem or measure, timer, attempts, due, last error."""
    with failures(), found.unit_of_work() as session:
        timers = found.workflow_engine.incidents(session)
        items = timer_items(session, timers)
        rows = []
        for timer in timers:
            item = items.get(timer.id)
            rows.append([str(timer.id), item.number if item else f"instance {timer.instance_id}",
                         timer.bpmn_id, f"{timer.attempts}/{MAX_TIMER_ATTEMPTS}", local_datetime(timer.due_at),
                         cut(timer.last_error or "", ERROR_PREVIEW)])
    table(["id", "item", "timer", "attempts", "due", "last error"], rows)
    if rows:
        click.echo(f"{len(rows)} incident(s); fix the cause, then: rectiflow incidents retry ID --user LOGIN")


@incidents.command("retry")
@click.argument("timer_id", type=int)
@click.option("--user", "login", required=True, help="the administrator retrying it (for the audit log)")
@pass_services
def retry_command(found: Services, timer_id: int, login: str) -> None:
    """Put incident TIMER_ID back: its attempts start again from zero and it fires on the next tick."""
    with failures(), found.unit_of_work() as session:
        actor = Actor(admin_login(session, login))
        timer = found.workflow_engine.retry_incident(session, timer_id, actor)
        item = timer_items(session, [timer]).get(timer.id)
        what = f"{item.number} " if item else f"instance {timer.instance_id} "
        line = f"incident {timer.id} ({what}{timer.bpmn_id}) retried by {actor.key}: it fires on the next tick"
    click.echo(line)


COMMANDS: list[click.Command] = [incidents]

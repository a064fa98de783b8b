"""``incidents``: timers that failed on every retry and service tasks that failed, and putting them back.

A due timer whose instance fails to advance is tried again on the next ticks; after the last
retry (``engine.incidents.MAX_TIMER_ATTEMPTS``) it is an incident and waits for an
administrator, who fixes the cause (the data, a deadline, the diagram) and retries it: it
fires on the next tick (audited as ``incident_retry`` under ``--user``).

A service task whose service fails (``engine.services``) is an incident at once: the instance
waits at it. ``incidents retry-service ID`` runs it again now (after the configuration or the
other system is fixed); ``incidents skip-service ID --reason …`` completes it without the service.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine import Actor
from engine.incidents import MAX_TIMER_ATTEMPTS
from web.formatting import local_datetime
from web.services import Services
from workflows.models import Problem
from workflows.people_accounts import admin_login
from workflows.tick_summary import timer_items

from .app_context import pass_services
from .failures import failures
from .tables import cut, table

ERROR_PREVIEW = 60  # wide characters of the last error in the list


@click.group("incidents", invoke_without_command=True)
@click.pass_context
def incidents(ctx: click.Context) -> None:
    """List the timers and service tasks that became incidents (same as 'incidents list')."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@incidents.command("list")
@pass_services
def list_command(found: Services) -> None:
    """Timers that failed on every retry, then failed service tasks: id, kind, item, element, attempts, when
    (a timer's due time, a service's failure), error."""
    with failures(), found.unit_of_work() as session:
        timers = found.workflow_engine.incidents(session)
        items = timer_items(session, timers)
        rows = []
        for timer in timers:
            item = items.get(timer.id)
            rows.append([str(timer.id), "timer", item.number if item else f"instance {timer.instance_id}",
                         timer.bpmn_id, f"{timer.attempts}/{MAX_TIMER_ATTEMPTS}", local_datetime(timer.due_at),
                         cut(timer.last_error or "", ERROR_PREVIEW)])
        services_failed = found.workflow_engine.service_incidents(session)
        numbers = _problem_numbers(session, {incident.instance_id for incident in services_failed})
        for incident in services_failed:
            rows.append([str(incident.id), "service", numbers.get(incident.instance_id,
                                                                  f"instance {incident.instance_id}"),
                         incident.bpmn_id, "—", local_datetime(incident.created_at),
                         cut(incident.message, ERROR_PREVIEW)])
    table(["id", "kind", "item", "element", "attempts", "when", "error"], rows)
    if rows:
        click.echo(f"{len(rows)} incident(s); fix the cause, then: rectiflow incidents retry ID --user LOGIN "
                   "(a timer), retry-service ID or skip-service ID --reason … (a service)")


def _problem_numbers(session: Session, instance_ids: set[int]) -> dict[int, str]:
    """The ledger number (2.3) of the problem each instance runs, for the instances that run one."""
    if not instance_ids:
        return {}
    problems = session.scalars(select(Problem).where(Problem.instance_id.in_(instance_ids))
                               .options(joinedload(Problem.part)))
    return {p.instance_id: f"{p.part.ordinal}.{p.ordinal}" for p in problems if p.instance_id is not None}


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


@incidents.command("retry-service")
@click.argument("incident_id", type=int)
@click.option("--user", "login", required=True, help="the administrator retrying it (for the audit log)")
@pass_services
def retry_service_command(found: Services, incident_id: int, login: str) -> None:
    """Run the failed service task of incident INCIDENT_ID again now; a new failure is a new incident."""
    with failures(), found.unit_of_work() as session:
        actor = Actor(admin_login(session, login))
        incident = found.workflow_engine.retry_service_incident(session, incident_id, actor)
        again = [i.id for i in found.workflow_engine.service_incidents(session)
                 if i.instance_id == incident.instance_id and i.task_id == incident.task_id]
        line = (f"service incident {incident.id} ({incident.bpmn_id}, instance {incident.instance_id}) "
                f"retried by {actor.key}: ")
        line += f"it failed again, see incident {again[0]}" if again else "the instance went on"
    click.echo(line)


@incidents.command("skip-service")
@click.argument("incident_id", type=int)
@click.option("--reason", required=True, help="why the service is not called (for the audit log)")
@click.option("--user", "login", required=True, help="the administrator skipping it (for the audit log)")
@pass_services
def skip_service_command(found: Services, incident_id: int, reason: str, login: str) -> None:
    """Complete the failed service task of incident INCIDENT_ID without calling its service."""
    with failures(), found.unit_of_work() as session:
        actor = Actor(admin_login(session, login))
        incident = found.workflow_engine.skip_service_incident(session, incident_id, actor, reason)
        line = (f"service incident {incident.id} ({incident.bpmn_id}, instance {incident.instance_id}) "
                f"skipped by {actor.key}: the instance went on without the service")
    click.echo(line)


COMMANDS: list[click.Command] = [incidents]

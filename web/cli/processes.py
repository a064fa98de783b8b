"""Any deployed process from the command line: ``start``, ``instances``, ``send-message`` and ``send-signal``.

These run diagrams other than the rectification lifecycle end to end: start one (its latest
version), see what each instance waits on, and deliver the messages and signals it waits for
(engine/messages.py). Each command is one unit of work: a refusal (bad JSON, an unknown process,
a message nobody waits for) is one line and changes nothing.
"""

from __future__ import annotations

import click

from engine import InstanceStatus, ProcessInstance, parse_json_data
from engine.instance_list import InstanceSummary, list_instances
from engine.messages import Delivery
from web.formatting import local_datetime
from web.services import Services
from workflows.people_accounts import office_actor

from .app_context import pass_services
from .tables import cut, table

WAITING_PREVIEW = 40  # wide characters of the "waiting on" column
USER_HELP = "who acts (for the audit log)"


def _data(text: str | None, option: str) -> dict:
    return {} if text is None else parse_json_data(text, what=option)


@click.command("start")
@click.argument("process_key")
@click.option("--data", "data_text", help="the instance's starting data, a JSON object")
@click.option("--key", "business_key", help="the instance's business key (to send it messages by)")
@click.option("--user", "login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def start_command(found: Services, process_key: str, data_text: str | None, business_key: str | None,
                  login: str) -> None:
    """Start the latest version of deployed process PROCESS_KEY and run it to its first wait."""
    data = _data(data_text, "--data")
    engine = found.workflow_engine
    with found.unit_of_work() as session:
        instance = engine.start(session, process_key, data, actor=office_actor(session, login),
                                business_key=business_key)
        line = _started_line(instance)
    click.echo(line)


@click.command("instances")
@click.option("--process", "process_key", help="only instances of this process key")
@click.option("--status", type=click.Choice([s.value for s in InstanceStatus]), help="only instances in this status")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="at most this many, newest first")
@pass_services
def instances_command(found: Services, process_key: str | None, status: str | None, limit: int) -> None:
    """List process instances: id, process and version, business key, status, started, what each waits on."""
    with found.unit_of_work() as session:
        summaries = list_instances(found.workflow_engine, session, process_key=process_key,
                                   status=InstanceStatus(status) if status else None, limit=limit)
    table(["id", "process", "key", "status", "started", "waiting on"],
          [[str(s.id), f"{s.process_key} v{s.version}", s.business_key or "-", s.status.value,
            local_datetime(s.started_at), cut(_waiting(s), WAITING_PREVIEW) or "-"] for s in summaries])


@click.command("send-message")
@click.argument("name")
@click.option("--key", "business_key", help="deliver only to the instance(s) with this business key "
                                            "(and give it to an instance the message starts)")
@click.option("--correlate", "correlate_text", help="deliver only where the waiting data hold these values, "
                                                    "a JSON object")
@click.option("--data", "data_text", help="the message's data, a JSON object")
@click.option("--user", "login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def send_message_command(found: Services, name: str, business_key: str | None, correlate_text: str | None,
                         data_text: str | None, login: str) -> None:
    """Send message NAME to the instances waiting for it, or start the process that starts on it."""
    correlation, data = _data(correlate_text, "--correlate"), _data(data_text, "--data")
    with found.unit_of_work() as session:
        delivery = found.workflow_engine.send_message(
            session, name, business_key=business_key, correlation=correlation, data=data,
            actor=office_actor(session, login))
        line = _delivery_line(f"message {name}", delivery)
    click.echo(line)


@click.command("send-signal")
@click.argument("name")
@click.option("--data", "data_text", help="the signal's data, a JSON object")
@click.option("--user", "login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def send_signal_command(found: Services, name: str, data_text: str | None, login: str) -> None:
    """Send signal NAME to every instance waiting for it, and start every process that starts on it."""
    data = _data(data_text, "--data")
    with found.unit_of_work() as session:
        delivery = found.workflow_engine.send_signal(session, name, data=data, actor=office_actor(session, login))
        line = _delivery_line(f"signal {name}", delivery)
    click.echo(line)


def _started_line(instance: ProcessInstance) -> str:
    definition = instance.definition
    key = f" (key {instance.business_key})" if instance.business_key else ""
    return f"instance {instance.id} of {definition.process_key} v{definition.version}{key}: {instance.status.value}"


def _delivery_line(what: str, delivery: Delivery) -> str:
    parts = []
    if delivery.received:
        parts.append("delivered to " + ", ".join(f"instance {i.id} ({i.status.value})" for i in delivery.received))
    if delivery.started:
        parts.append("started " + ", ".join(_started_line(i) for i in delivery.started))
    return f"{what}: {'; '.join(parts)}"


def _waiting(summary: InstanceSummary) -> str:
    waits = [f"task '{name}'" for name in summary.waiting_tasks]
    waits += [f"timer {bpmn_id} at {local_datetime(due)}" for bpmn_id, due in summary.waiting_timers]
    waits += summary.waiting_events
    return ", ".join(waits)


COMMANDS: list[click.Command] = [start_command, instances_command, send_message_command, send_signal_command]

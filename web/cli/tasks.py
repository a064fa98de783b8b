"""Task commands: ``tasks`` (a person's inbox), ``claim``, ``unclaim`` and ``complete``."""

from __future__ import annotations

import click

from engine import parse_json_data
from web.services import Services
from workflows import forms
from workflows import tasks as task_service
from workflows.people import actor_by_login

from .app_context import pass_services
from .failures import failures
from .tables import table


@click.command()
@click.option("--user", "login", required=True, help="login of the person whose inbox to show")
@click.option("--mine", is_flag=True, help="only tasks the person has claimed")
@pass_services
def tasks(found: Services, login: str, mine: bool) -> None:
    """List a person's open tasks (claimed and claimable)."""
    with failures(), found.unit_of_work() as session:
        rows = task_service.inbox(session, actor_by_login(session, login), include_claimable=not mine)
        lines = [[str(t.id), t.name, t.item_key or "", t.assignee or "-",
                  t.due_at.date().isoformat() if t.due_at else "", t.form_key or ""] for t in rows]
    table(["task", "name", "item", "claimed by", "due", "form"], lines)


@click.command()
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
@pass_services
def claim(found: Services, task_id: int, login: str) -> None:
    """Claim a task."""
    with failures(), found.unit_of_work() as session:
        task = task_service.claim(session, found.workflow_engine, task_id, actor_by_login(session, login))
        message = f"task {task.id} ({task.name}) claimed by {task.assignee}"
    click.echo(message)


@click.command()
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
@pass_services
def unclaim(found: Services, task_id: int, login: str) -> None:
    """Release a claimed task."""
    with failures(), found.unit_of_work() as session:
        task = task_service.unclaim(session, found.workflow_engine, task_id, actor_by_login(session, login))
        message = f"task {task.id} ({task.name}) released"
    click.echo(message)


def form_help() -> str:
    """Each form's fields for ``complete --help``, from the forms' declarations (``forms.describe``)."""
    lines = ["\b", "Fields of each form (`tasks` shows a task's form):"]
    for key in forms.FORMS:
        described = forms.describe(key)
        fields = []
        for name, spec in described["properties"].items():
            kind = "|".join(spec["enum"]) if "enum" in spec else {
                "boolean": "true/false", "array": "list of evidence ids", "string": "text"}[spec["type"]]
            if spec.get("format") == "date":
                kind = "YYYY-MM-DD"
            notes = [kind]
            if name in described["required"]:
                notes.append("required")
            for word, label in (("x-required-when", "required when"), ("x-only-when", "only when")):
                if word in spec:
                    notes.append(f"{label} {spec[word]['field']} is {'|'.join(spec[word]['in'])}")
            fields.append(f"{name} ({', '.join(notes)})")
        lines.append(f"  {key}: {'; '.join(fields)}")
    return "\n".join(lines)


@click.command(epilog=form_help())
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
@click.option("--data", "data_text", default="{}", help='form data as JSON, e.g. \'{"progress": "..."}\'')
@pass_services
def complete(found: Services, task_id: int, login: str, data_text: str) -> None:
    """Complete a claimed task with its form data."""
    with failures():
        # Bounded before anything runs: depth, number sizes, NUL and lone surrogates (engine/payload.py).
        data = parse_json_data(data_text, what="--data")
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login)
        task = task_service.complete(session, found.workflow_engine, task_id, actor, data)
        message = f"task {task.id} ({task.name}) completed"
    click.echo(message)


COMMANDS = [tasks, claim, unclaim, complete]

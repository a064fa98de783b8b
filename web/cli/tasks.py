"""Task commands: ``tasks`` (a person's inbox), ``claim``, ``unclaim``, ``complete`` and ``task show``.

A task is named by its id or by its ledger number (``2.2.1``, ``2.2``; see ``task_refs``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from sqlalchemy.orm import Session

from engine import HumanTask, parse_json_data
from web.evidence.uploads import evidence_store
from web.services import Services
from workflows import forms
from workflows import tasks as task_service
from workflows.deadlines import china_date, has_deadline
from workflows.evidence import Upload
from workflows.people import actor_by_login
from workflows.task_lookup import step_name, task_places

from .app_context import pass_services
from .failures import fail, failures
from .tables import table
from .task_forms import TASK_REF_HELP, form_help
from .task_refs import resolve_task, task_argument
from .task_show import task_group


@click.command()
@click.option("--user", "login", required=True, help="login of the person whose inbox to show")
@click.option("--mine", is_flag=True, help="only tasks the person has claimed")
@pass_services
def tasks(found: Services, login: str, mine: bool) -> None:
    """List a person's open tasks (claimed and claimable), soonest deadline first."""
    with failures(), found.unit_of_work() as session:
        rows = task_service.inbox(session, actor_by_login(session, login), include_claimable=not mine)
        places = task_places(session, rows)
        lines = []
        for t in rows:
            place = places.get(t.id)
            due = china_date(t.due_at).isoformat() if has_deadline(t.due_at) and t.due_at else "-"
            lines.append([str(t.id), place.number if place else "-", step_name(t.name),
                          place.unit if place and place.unit else "-", due,
                          place.holder if place and place.holder else "-", t.form_key or "-"])
    table(["任务", "序号", "步骤", "单位", "期限", "办理人", "表单"], lines)


@click.command(epilog=TASK_REF_HELP)
@task_argument
@click.option("--user", "login", required=True, help="login of the person acting")
@pass_services
def claim(found: Services, task_ref: str, round_id: int | None, login: str) -> None:
    """Claim a task."""
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login)
        task_id = resolve_task(session, task_ref, round_id, actor)
        task = task_service.claim(session, found.workflow_engine, task_id, actor)
        message = f"{_named(session, task)} claimed by {task.assignee}"
    click.echo(message)


@click.command(epilog=TASK_REF_HELP)
@task_argument
@click.option("--user", "login", required=True, help="login of the person acting")
@pass_services
def unclaim(found: Services, task_ref: str, round_id: int | None, login: str) -> None:
    """Release a claimed task."""
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login)
        task_id = resolve_task(session, task_ref, round_id, actor)
        task = task_service.unclaim(session, found.workflow_engine, task_id, actor)
        message = f"{_named(session, task)} released"
    click.echo(message)


@click.command(epilog=form_help())
@task_argument
@click.option("--user", "login", required=True, help="login of the person acting")
@click.option("--data", "data_text", default="{}", help='form data as JSON, e.g. \'{"progress": "..."}\'')
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="an evidence file to attach (repeat for several)")
@pass_services
def complete(found: Services, task_ref: str, round_id: int | None, login: str, data_text: str,
             files: tuple[Path, ...]) -> None:
    """Complete a claimed task with its form data and evidence files."""
    with failures():
        # Bounded before anything runs: depth, number sizes, NUL and lone surrogates (engine/payload.py).
        data = parse_json_data(data_text, what="--data")
    engine = found.workflow_engine
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login)
        task_id = resolve_task(session, task_ref, round_id, actor)
        if files:
            _check_files_wanted(session.get(HumanTask, task_id), data)
            with contextlib.ExitStack() as opened:
                uploads = [Upload(path.name, opened.enter_context(path.open("rb"))) for path in files]
                task = task_service.submit(session, engine, task_id, actor, task_service.Submission(data, uploads),
                                           store=evidence_store(), now=engine.clock())
        else:
            task = task_service.complete(session, engine, task_id, actor, data)
        message = f"{_named(session, task)} completed"
        if files:
            message += f" with {len(files)} evidence file(s): {', '.join(path.name for path in files)}"
    click.echo(message)


def _check_files_wanted(task: HumanTask | None, data: object) -> None:
    """Refuse ``--file`` on a form without a file field, or beside evidence ids in ``--data``."""
    form = forms.FORMS.get(task.form_key or "") if task is not None else None
    if task is None or form is None:
        return  # the service says what is wrong with the task
    if form.files_field is None:
        takes = ", ".join(key for key, f in forms.FORMS.items() if f.files_field is not None)
        fail(f"task {task.id}'s form ({form.key}) takes no files; --file is for the forms {takes}")
    if isinstance(data, dict) and data.get(form.files_field.name):
        fail(f"give evidence either with --file or as ids in --data ({form.files_field.name}), not both")


def _named(session: Session, task: HumanTask) -> str:
    """``task 41 (1.2.1 报送整改进展与佐证材料)``: the id, the ledger number and the step."""
    place = task_places(session, [task]).get(task.id)
    number = f"{place.number} " if place and place.number else ""
    return f"task {task.id} ({number}{step_name(task.name)})"


COMMANDS = [tasks, claim, unclaim, complete, task_group]

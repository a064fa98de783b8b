"""``task show ID_OR_NUMBER``: one task as its page shows it — where it sits in the plan, who holds it,
its deadline, its problem's history and its form's fields — in the terminal.

The words are the web's (``web.i18n``, in Chinese), the facts the task page's (``workflows.task_view``),
the fields the form's one declaration (``task_forms``); with ``--user``, the web's visibility rule.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, TaskStatus
from web.config import warning_window_days
from web.formatting import local_datetime
from web.i18n import TEXTS
from web.services import Services
from web.tasks.texts import TEXTS as TASK_TEXTS
from workflows import forms
from workflows.deadlines import china_date
from workflows.evidence_store import size_text
from workflows.history import HistoryEntry, people_names
from workflows.models import Role
from workflows.people import actor_by_login, unit_by_code
from workflows.task_access import can_view_task
from workflows.task_lookup import step_name
from workflows.task_view import TaskView, task_view
from workflows.warnings import DeadlineWarning

from .app_context import pass_services
from .failures import fail, failures
from .task_forms import TASK_REF_HELP, field_notes
from .task_refs import resolve_task, task_argument

NOBODY = Actor("")  # an operator at the command line: holds nothing, claims nothing
STATES = {TaskStatus.OPEN: "tasks.state.open", TaskStatus.COMPLETED: "tasks.state.completed",
          TaskStatus.CANCELLED: "tasks.state.cancelled"}


def _t(key: str, **params: object) -> str:
    """The Chinese text ``key`` of the web's catalogue (the tasks area's texts included)."""
    zh = {**TEXTS, **TASK_TEXTS}[key][0]
    return zh.format(**params) if params else zh


@click.group("task")
def task_group() -> None:
    """One task: ``task show ID_OR_NUMBER``."""


@task_group.command("show", epilog=TASK_REF_HELP)
@task_argument
@click.option("--user", "login", help="show the task as this person may see it (the web's rule)")
@pass_services
def show(found: Services, task_ref: str, round_id: int | None, login: str | None) -> None:
    """Show a task: its round, part, problem and measure, holder, deadline, history and form."""
    engine = found.workflow_engine
    with failures(), found.unit_of_work() as session:
        actor = actor_by_login(session, login) if login else None
        task_id = resolve_task(session, task_ref, round_id, actor)
        task = session.get(HumanTask, task_id)
        if task is None or (actor is not None and not can_view_task(session, actor, task)):
            fail(f"task {task_id} does not exist")  # what the web answers too: no hint it exists
        view = task_view(session, task, actor or NOBODY, now=engine.clock(), window_days=warning_window_days())
        lines = show_lines(view, offered_to(session, task))
    click.echo("\n".join(lines))


def show_lines(view: TaskView, offered: str) -> list[str]:
    """The task as lines of text; ``offered``: who may claim it (``offered_to``)."""
    task = view.task
    lines = [f"任务 {task.id}：{view.step}（{task.stage or '-'}）· {_t(STATES[task.status])}"]
    problem = view.problem
    if problem is not None:
        round_ = problem.part.round
        lines += [
            f"轮次 {round_.id}：{round_.title}",
            f"{_t('tasks.part')} {problem.part.ordinal}：{problem.part.title}",
            f"{_t('tasks.problem')} {view.number}：{problem.title} — {view.status}"
            + ("（长期整改）" if problem.long_term else ""),
        ]
    if view.measure is not None:
        lines.append(f"措施 {view.measure.number}：{view.measure.measure.text} — {view.measure.status}")
    lines.append(f"{_t('tasks.holder')}：{_holder(view)}")
    if task.status == TaskStatus.OPEN:
        lines.append(f"可领取：{offered}")
    lines.append(f"{_t('tasks.due')}：{_due(view)}")
    if task.form_key in forms.FORMS:
        form = forms.FORMS[task.form_key]
        lines.append(f"表单 {form.key}（{_t(form.title_key)}）：")
        for name, _title, notes in field_notes(form.key):
            field = form.field(name)
            label = _t(field.label_key) if field is not None else name
            lines.append(f"  {name}（{label}）: {notes}")
    lines.append(f"{_t('tasks.history')}（最新在前）：")
    lines += [f"  {line}" for entry in view.history for line in _history_lines(entry, view)] or ["  -"]
    return lines


def _holder(view: TaskView) -> str:
    task = view.task
    if task.status == TaskStatus.COMPLETED and task.completed_at is not None:
        return _t("tasks.done_by", name=f"{view.completed_by_name}({task.completed_by})",
                  at=local_datetime(task.completed_at))
    if task.assignee:
        return f"{view.holder_name}({task.assignee})"
    return _t("tasks.unclaimed")


def offered_to(session: Session, task: HumanTask) -> str:
    """Who may claim the task: a named person, or a group (and the unit it is offered to)."""
    if task.candidate_user:
        name = people_names(session, {task.candidate_user}).get(task.candidate_user, task.candidate_user)
        return f"{name}({task.candidate_user})"
    group = task.candidate_group or "-"
    said = _t(f"role.{group}") if group in {r.value for r in Role} else group
    unit = unit_by_code(session, task.candidate_unit) if task.candidate_unit else None
    return said + (f" · {unit.name if unit is not None else task.candidate_unit}" if task.candidate_unit else "")


def _due(view: TaskView) -> str:
    if view.due is None:
        return _t("tasks.no_deadline")
    day = china_date(view.due).isoformat()
    return f"{day}（{_days(view.warning)}）" if view.warning is not None and view.warning.days_left is not None \
        else day


def _days(warning: DeadlineWarning) -> str:
    days = warning.days_left or 0
    if warning.overdue:
        return _t("tasks.overdue_days", days=max(-days, 0))
    if days == 0:
        return _t("tasks.due_today")
    return _t("tasks.days_left", days=days)


def _history_lines(entry: HistoryEntry, view: TaskView) -> list[str]:
    """One history entry: when, who did what (to which measure), the values, reason and files."""
    step = step_name(entry.task.name) if entry.task is not None else ""
    if entry.action.startswith("event:"):
        key = "tasks.history." + entry.action.replace(":", ".")
        what = _t(key) if key in {**TEXTS, **TASK_TEXTS} else entry.action
    elif entry.action == "reassign":
        to = str(entry.detail.get("to", ""))
        what = _t("tasks.history.reassign", name=entry.actor_name, step=step, to=entry.names.get(to, to))
    elif entry.action in ("start", "claim", "unclaim", "amend", "complete"):
        what = _t(f"tasks.history.{entry.action}", name=entry.actor_name, step=step)
    elif entry.flag_deadline:
        what = _t(f"tasks.history.{entry.action}", name=entry.actor_name, deadline=entry.flag_deadline)
    else:
        what = _t("tasks.history.other", name=entry.actor_name, action=entry.action)
    numbers = {m.measure.item_key: m.number for m in view.measures}
    where = f"  {_t('tasks.history.measure', number=numbers[entry.item_key])}" \
        if entry.item_key in numbers else ""
    lines = [f"{local_datetime(entry.at)}  {what}{where}"]
    for shown in entry.values:
        value = _t(shown.choice_key) if shown.choice_key else _t("tasks.yes") if shown.flag else shown.text
        lines.append(f"    {_t(shown.label_key)}：{value}")
    if entry.reason:
        lines.append(f"    {_t('tasks.history.reason')}：{entry.reason}")
    for file in entry.evidence:
        lines.append(f"    {_t('tasks.history.evidence')}：{file.filename}（{size_text(file.size)}，编号 {file.id}）")
    return lines



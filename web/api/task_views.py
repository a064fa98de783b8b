"""Tasks as the API shows them: the inbox's tabs and filters with keyset paging, and a task as JSON.

Which tasks a tab holds and what the filters mean are the inbox's own (``workflows.inbox.tab_ids``,
``workflows.inbox_filters.conditions``), so the API lists exactly what the inbox page lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask
from workflows import forms
from workflows.deadlines import has_deadline
from workflows.inbox import Tab, tab_ids
from workflows.inbox_filters import InboxFilters, conditions, join_problem
from workflows.item_keys import ItemKind, parse
from workflows.models import Problem
from workflows.warnings import WarningColour

from .core import Page, page_of

# Built once: a claim and a completion answer with their task, so this runs on every one of them.
_PROBLEMS_OF = select(Problem.instance_id, Problem.id).where(
    Problem.instance_id.in_(bindparam("instances", expanding=True)))


def filters_from(args: dict[str, Any]) -> InboxFilters:
    """The inbox filters of a validated query string (``schemas.TaskListArgs``)."""
    return InboxFilters(
        round_id=args.get("round"), part_id=args.get("part"), unit=(args.get("unit") or "").strip() or None,
        stage=args.get("step"), colour=WarningColour(args["colour"]) if args.get("colour") else None,
        overdue=bool(args.get("overdue")), text=" ".join((args.get("q") or "").split()),
    )


def task_page(session: Session, actor: Actor, tab: Tab, filters: InboxFilters, *, now: datetime, window_days: int,
              cursor: str | None, limit: int | None) -> Page:
    """One page of ``tab`` for ``actor``, filtered, in id order, as task dicts."""
    stmt = select(HumanTask).where(HumanTask.id.in_(tab_ids(actor, tab)),
                                   *conditions(filters, now=now, window_days=window_days))
    if filters.needs_problem:
        stmt = join_problem(stmt)
    page = page_of(session, stmt, HumanTask.id.expression, cursor=cursor, limit=limit)
    return Page(tasks_as_json(session, page.items), page.next_cursor)


def tasks_as_json(session: Session, tasks: Iterable[HumanTask]) -> list[dict[str, Any]]:
    """``tasks`` as the API's task objects (their problems found in one query)."""
    tasks = list(tasks)
    instances = {task.instance_id for task in tasks}
    problems: dict[int, int] = {}
    if instances:
        rows = session.execute(_PROBLEMS_OF, {"instances": sorted(instances)})
        problems = {instance_id: problem_id for instance_id, problem_id in rows.tuples() if instance_id is not None}
    return [_as_json(task, problems.get(task.instance_id)) for task in tasks]


def task_detail(session: Session, task: HumanTask) -> dict[str, Any]:
    """A task with its form's fields (None for a task without a declared form)."""
    found = tasks_as_json(session, [task])[0]
    found["form"] = forms.describe(task.form_key) if task.form_key in forms.FORMS else None
    return found


def _as_json(task: HumanTask, problem_id: int | None) -> dict[str, Any]:
    key = parse(task.item_key)
    return {
        "id": task.id, "name": task.name, "stage": task.stage, "form_key": task.form_key,
        "status": str(task.status.value if hasattr(task.status, "value") else task.status),
        "assignee": task.assignee, "candidate_unit": task.candidate_unit, "instance_id": task.instance_id,
        "problem_id": problem_id, "measure_id": key.id if key is not None and key.kind is ItemKind.MEASURE else None,
        "item_key": task.item_key,
        "deadline": task.due_at if task.due_at is not None and has_deadline(task.due_at) else None,
        "created_at": task.created_at, "completed_at": task.completed_at,
    }

"""Tasks by the names people use: a ledger number (``2.2.1`` a measure, ``2.2`` a problem) or an id.

The ledger numbers items ``part.problem.measure`` within a round (``workflows.ledger``); people
say "measure 2.2.1", not "task 417". ``task_for_number`` finds the one open task a number means
for the person acting: the only one, else the one they hold, else the one they may claim. When
that still leaves several, or none, the error says which tasks there are or what state the item
is in and where its work is, so the person knows what to type next.

``task_places`` goes the other way: each task's ledger number, problem, measure and unit, in one
query, for lists of tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine import Actor, HumanTask, InstanceStatus, ProcessInstance, Timer
from engine.models import task_is_claimable_by

from .deadlines import china_date, has_deadline
from .errors import NotFoundError, ValidationError
from .history import people_names
from .inbox import split_name
from .inbox_filters import LEAD_UNIT, TASK_UNIT, join_problem
from .models import InspectionRound, Measure, Part, Problem, ProblemStatus
from .status import ProblemState, derive

_NUMBER = re.compile(r"([1-9][0-9]{0,5})\.([1-9][0-9]{0,5})(?:\.([1-9][0-9]{0,5}))?")
_TASK_ID = re.compile(r"[1-9][0-9]{0,17}")
MAX_TASK_ID = 2**63 - 1


@dataclass(frozen=True)
class LedgerNumber:
    """A problem (``2.2``) or a measure (``2.2.1``) as the ledger numbers it within a round."""

    part: int
    problem: int
    measure: int | None = None

    @property
    def problem_number(self) -> str:
        """The problem's number (``2.2``), also for a measure's number."""
        return f"{self.part}.{self.problem}"

    def __str__(self) -> str:
        return self.problem_number + (f".{self.measure}" if self.measure is not None else "")


@dataclass(frozen=True)
class TaskRef:
    """What a person typed to name a task: its id, or a ledger number."""

    task_id: int | None = None
    number: LedgerNumber | None = None


def parse_task_ref(text: str) -> TaskRef:
    """``17`` (a task id), ``2.2`` or ``2.2.1`` (a ledger number); ValidationError otherwise."""
    typed = text.strip()
    if _TASK_ID.fullmatch(typed) and int(typed) <= MAX_TASK_ID:
        return TaskRef(task_id=int(typed))
    match = _NUMBER.fullmatch(typed)
    if match is None:
        raise ValidationError(f"not a task id or a ledger number (e.g. 17, 2.2 or 2.2.1): {text[:40]!r}")
    part, problem, measure = match.groups()
    return TaskRef(number=LedgerNumber(int(part), int(problem), int(measure) if measure else None))


def find_problem(session: Session, round_: InspectionRound, number: LedgerNumber) -> tuple[Problem, Measure | None]:
    """The problem (and measure) ``number`` names in ``round_``; NotFoundError if there is none."""
    problem = session.scalar(
        select(Problem).join(Part, Problem.part_id == Part.id)
        .where(Part.round_id == round_.id, Part.ordinal == number.part, Problem.ordinal == number.problem)
        .options(selectinload(Problem.measures), joinedload(Problem.part))
    )
    if problem is None:
        raise NotFoundError(f"round {round_.id} has no problem {number.problem_number}")
    if number.measure is None:
        return problem, None
    measure = next((m for m in problem.measures if m.ordinal == number.measure), None)
    if measure is None:
        raise NotFoundError(f"problem {number.problem_number} has no measure {number} "
                            f"(it has {len(problem.measures)})")
    return problem, measure


def task_for_number(session: Session, round_: InspectionRound, number: LedgerNumber, actor: Actor | None) -> HumanTask:
    """The open task ``number`` means for ``actor`` (None: whoever asks, e.g. an operator).

    The item's open tasks (a measure's, or a problem's own steps for a problem number); among
    several, the one ``actor`` holds, else the one ``actor`` may claim. ValidationError listing
    the candidates when that leaves more than one, or saying the item's state and where its
    open tasks are when it has none.
    """
    problem, measure = find_problem(session, round_, number)
    what = f"measure {number}" if measure is not None else f"problem {number}"
    if problem.instance_id is None:
        raise ValidationError(f"{what} has no open task: {ProblemStatus.NOT_STARTED} — "
                              "its problem's lifecycle has not been launched")
    state = derive(session, [problem])[problem.id]
    key = measure.item_key if measure is not None else problem.item_key
    open_tasks = [t for t in state.open_tasks if t.item_key == key]
    if not open_tasks:
        raise ValidationError(_no_open_task(session, what, problem, measure, state))
    if len(open_tasks) == 1:
        return open_tasks[0]
    held = [t for t in open_tasks if actor is not None and t.assignee == actor.key]
    claimable = [t for t in open_tasks if actor is not None and t.assignee is None
                 and task_is_claimable_by(t, actor.key, actor.groups, actor.units)]
    narrowed = held or claimable or open_tasks
    if len(narrowed) == 1:
        return narrowed[0]
    names = people_names(session, {t.assignee for t in narrowed if t.assignee})
    listed = "; ".join(f"task {t.id}: {step_name(t.name)} ({_holder(t, names)})" for t in narrowed)
    raise ValidationError(f"{what} has {len(narrowed)} open tasks; give the task id: {listed}")


def _holder(task: HumanTask, names: dict[str, str]) -> str:
    if task.assignee is None:
        return "unclaimed"
    return f"held by {names.get(task.assignee, task.assignee)} {task.assignee}"


def _no_open_task(session: Session, what: str, problem: Problem, measure: Measure | None,
                  state: ProblemState) -> str:
    """Why an item has no open task, and where its problem's work is instead."""
    problem_number = f"{problem.part.ordinal}.{problem.ordinal}"
    if measure is not None:
        measure_status = state.measures.get(measure.id, ProblemStatus.NOT_STARTED)
        said = f"{what} has no open task: {measure_status}"
        if state.status != measure_status:
            said += f" (problem {problem_number}: {state.status})"
    else:
        said = f"{what} has no open task at problem level: {state.status}"
    problem_level = [t for t in state.open_tasks if t.item_key == problem.item_key]
    by_measure = {m.item_key: f"{problem_number}.{m.ordinal}" for m in problem.measures}
    at_measures = sorted({by_measure[t.item_key] for t in state.open_tasks if t.item_key in by_measure},
                         key=lambda n: [int(x) for x in n.split(".")])
    if measure is not None and problem_level:
        tasks = "the open task is" if len(problem_level) == 1 else "the open tasks are"
        return said + f" — {tasks} at problem level: {problem_number}"
    if at_measures:
        return said + f" — open tasks are at measure level: {', '.join(at_measures)}"
    if session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == problem.instance_id)) \
            == InstanceStatus.COMPLETED:
        return said + " — its lifecycle has ended"
    next_timer = _next_timer(session, problem.instance_id)
    if next_timer is not None:
        return said + f" — the next step opens when a timer fires on {china_date(next_timer).isoformat()}"
    return said


def _next_timer(session: Session, instance_id: int | None) -> datetime | None:
    due = session.scalars(select(Timer.due_at).where(Timer.instance_id == instance_id).order_by(Timer.due_at))
    return next((when for when in due if has_deadline(when)), None)


def step_name(name: str) -> str:
    """A step's Chinese name from the diagram's ``中文名 English name`` (the whole name without one)."""
    zh, en = split_name(name)
    return zh or en or name


@dataclass(frozen=True)
class TaskPlace:
    """Where a task sits in the plan: its ledger number, problem, measure and unit."""

    number: str  # "2.2.1" for a measure's step, "2.2" for a problem's; "" outside any problem
    problem_title: str
    measure_text: str
    unit: str  # the unit the task is offered to, else the problem's lead unit
    holder: str  # the holder's name and login, "" when unclaimed


def task_places(session: Session, tasks: Iterable[HumanTask]) -> dict[int, TaskPlace]:
    """Each task's place in the plan (by task id), in two queries whatever the number of tasks."""
    tasks = list(tasks)
    if not tasks:
        return {}
    rows = session.execute(
        join_problem(
            select(HumanTask.id, Part.ordinal, Problem.ordinal, Problem.title, Measure.ordinal, Measure.text,
                   TASK_UNIT.name, LEAD_UNIT.name)
            .select_from(HumanTask)
        )
        .outerjoin(TASK_UNIT, TASK_UNIT.code == HumanTask.candidate_unit)
        .where(HumanTask.id.in_([t.id for t in tasks]))
    ).tuples().all()
    names = people_names(session, {t.assignee for t in tasks if t.assignee})
    holders = {t.id: f"{names.get(t.assignee, t.assignee)}({t.assignee})" if t.assignee else "" for t in tasks}
    places = {}
    for task_id, part, problem, title, measure, text, task_unit, lead_unit in rows:
        number = f"{part}.{problem}" if problem is not None else ""
        if measure is not None:
            number += f".{measure}"
        places[task_id] = TaskPlace(number=number, problem_title=title or "", measure_text=text or "",
                                    unit=task_unit or lead_unit or "", holder=holders[task_id])
    return places


"""What the task page shows: the task, its problem and measures with owners, deadlines and
statuses, the problem's history, and what the viewer may do (fill in the form, claim it, or only read).

Deadline warnings are for work still to do: an open task, a measure not yet approved. A done
measure, a closed problem (销号, 回头看, 已巩固) and a finished task show their dates plainly.

Built in a constant number of queries, whatever the plan's size or the problem's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine import Actor, HumanTask, TaskStatus
from engine.models import task_is_claimable_by

from . import forms
from .deadlines import end_of_day_utc, has_deadline
from .history import HistoryEntry, people_names, problem_history
from .inbox import split_name
from .item_keys import measure_id
from .models import Measure, Part, Problem, ProblemStatus
from .status import ProblemState, derive
from .warnings import DeadlineWarning, warning_for

# A problem in one of these statuses has been closed: nothing of it is late any more.
CLOSED = frozenset({ProblemStatus.CLOSED, ProblemStatus.LOOK_BACK, ProblemStatus.CONSOLIDATED})
# A measure in one of these statuses is still to be done, so its deadline warns.
MEASURE_OPEN = frozenset({ProblemStatus.PENDING, ProblemStatus.IN_PROGRESS, ProblemStatus.AWAITING_APPROVAL,
                          ProblemStatus.OVERDUE})


@dataclass(frozen=True)
class MeasureView:
    """One measure of the problem: its ledger number, status, deadline (with its warning colour
    while the measure is still open, else None), and whether the task is about it."""

    measure: Measure
    number: str
    status: ProblemStatus
    due: datetime | None
    warning: DeadlineWarning | None
    current: bool


@dataclass(frozen=True)
class TaskView:
    """Everything the task page renders."""

    task: HumanTask
    step: str  # the step's Chinese name from the diagram
    step_en: str  # its English name (the Chinese again when the diagram gives none)
    problem: Problem | None
    number: str | None  # the problem's ledger number, e.g. "3.2"
    status: ProblemStatus | None  # the problem's derived status (None without a problem)
    measures: list[MeasureView]
    measure: MeasureView | None  # the measure the task is about, if it is about one
    due: datetime | None  # the task's own deadline (None without a real one)
    warning: DeadlineWarning | None  # of the task's own deadline; None unless the task is open
    form: forms.Form | None  # set when the viewer holds the open task
    can_claim: bool
    holder_name: str | None
    completed_by_name: str | None
    history: list[HistoryEntry]

    @property
    def is_open(self) -> bool:
        """Whether the task still waits for someone."""
        return self.task.status == TaskStatus.OPEN


def task_view(session: Session, task: HumanTask, actor: Actor, *, now: datetime, window_days: int) -> TaskView:
    """The page of ``task`` as ``actor`` sees it (the caller has checked they may see it)."""
    problem = session.scalar(
        select(Problem).where(Problem.instance_id == task.instance_id)
        .options(joinedload(Problem.part).joinedload(Part.round),
                 selectinload(Problem.measures).selectinload(Measure.responsible_units))
    )
    long_term = problem is not None and problem.long_term
    state: ProblemState | None = derive(session, [problem])[problem.id] if problem is not None else None
    closed = state is not None and state.status in CLOSED
    open_due = {t.item_key: t.due_at for t in state.open_tasks} if state is not None else {}
    current_measure = measure_id(task.item_key)
    measures: list[MeasureView] = []
    if problem is not None:
        for measure in problem.measures:
            # An open task's due date is the process's own (a failed verification may have moved it).
            due = open_due.get(measure.item_key) or (end_of_day_utc(measure.deadline) if measure.deadline else None)
            if measure.id == current_measure and task.due_at is not None:
                due = task.due_at
            due = due if has_deadline(due) else None
            status = state.measures[measure.id] if state is not None else ProblemStatus.NOT_STARTED
            warns = not closed and status in MEASURE_OPEN
            measures.append(MeasureView(
                measure=measure, number=f"{problem.part.ordinal}.{problem.ordinal}.{measure.ordinal}",
                status=status, due=due,
                warning=warning_for(due, now, window_days=window_days, long_term=long_term) if warns else None,
                current=measure.id == current_measure,
            ))
    is_open = task.status == TaskStatus.OPEN
    holds = is_open and task.assignee == actor.key
    names = people_names(session, {login for login in (task.assignee, task.completed_by) if login})
    zh, en = step_names(task.name)
    return TaskView(
        task=task, step=zh, step_en=en, problem=problem,
        number=f"{problem.part.ordinal}.{problem.ordinal}" if problem is not None else None,
        status=state.status if state is not None else None,
        measures=measures, measure=next((m for m in measures if m.current), None),
        due=task.due_at if has_deadline(task.due_at) else None,
        warning=warning_for(task.due_at, now, window_days=window_days, long_term=long_term) if is_open else None,
        form=forms.FORMS.get(task.form_key or "") if holds else None,
        can_claim=is_open and task.assignee is None
        and task_is_claimable_by(task, actor.key, actor.groups, actor.units),
        holder_name=names.get(task.assignee, task.assignee) if task.assignee else None,
        completed_by_name=names.get(task.completed_by, task.completed_by) if task.completed_by else None,
        history=problem_history(session, task.instance_id),
    )


def step_names(name: str) -> tuple[str, str]:
    """The Chinese and English names of a step named ``报送整改进展 Submit progress`` in the diagram;
    each falls back to the other (or the whole name) when the diagram gives only one."""
    zh, en = split_name(name)
    return zh or en or name, en or zh or name

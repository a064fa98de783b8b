"""Statuses of problems and measures, derived from the engine's tables.

Nothing here deserialises a workflow: a handful of queries over
``human_task``, ``process_event`` and ``process_instance`` for a whole round.
Tasks are told apart by their declared stage (:mod:`workflows.stages`), never by BPMN id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HumanTask, InstanceStatus, ProcessEvent, ProcessInstance, TaskStatus

from .models import Problem
from .models import ProblemStatus as S
from .stages import Stage

REOPEN_EVENTS = {"problem_rebound", "verification_failed"}
# The stages whose completion can send a problem back to rectification (a reopen event).
REOPENING_STAGES = {Stage.VERIFY, Stage.LOOKBACK}
ACTIVE = {S.PENDING, S.IN_PROGRESS, S.AWAITING_APPROVAL}
# A problem with an open task of one of these stages has the stage's status.
PROBLEM_STAGES: dict[str, S] = {
    Stage.LOOKBACK: S.LOOK_BACK,
    Stage.VERIFY: S.AWAITING_VERIFICATION,
    Stage.CLOSE_LONG_TERM: S.LONG_TERM,
}
# A measure whose open task is of this stage awaits approval.
APPROVAL_STAGE = Stage.MEASURE_APPROVE


@dataclass
class ProblemState:
    """A problem's status, its measures' statuses and the counters the ledger shows."""

    status: S
    measures: dict[int, S] = field(default_factory=dict)
    overdue_measures: set[int] = field(default_factory=set)
    rebounds: int = 0
    verification_failures: int = 0
    open_tasks: list[HumanTask] = field(default_factory=list)


def derive(session: Session, problems: Iterable[Problem]) -> dict[int, ProblemState]:
    """The state of each problem (by id), in a constant number of queries."""
    problems = list(problems)
    instance_ids = [p.instance_id for p in problems if p.instance_id is not None]
    instances: dict[int, InstanceStatus] = {}
    tasks: dict[int, list[HumanTask]] = defaultdict(list)
    events: dict[int, list[ProcessEvent]] = defaultdict(list)
    for chunk in _chunks(instance_ids, 500):
        instances.update(session.execute(
            select(ProcessInstance.id, ProcessInstance.status).where(ProcessInstance.id.in_(chunk))
        ).tuples().all())
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(chunk)).order_by(HumanTask.id)):
            tasks[task.instance_id].append(task)
        for event in session.scalars(
            select(ProcessEvent).where(ProcessEvent.instance_id.in_(chunk)).order_by(ProcessEvent.id)
        ):
            events[event.instance_id].append(event)
    return {
        p.id: _problem_state(p, instances.get(p.instance_id), tasks[p.instance_id], events[p.instance_id])
        if p.instance_id is not None else ProblemState(S.NOT_STARTED, {m.id: S.NOT_STARTED for m in p.measures})
        for p in problems
    }


def _problem_state(
    problem: Problem, status: InstanceStatus | None, tasks: list[HumanTask], events: list[ProcessEvent]
) -> ProblemState:
    reopen_at = max((i for i, e in enumerate(events) if e.name in REOPEN_EVENTS), default=-1)
    current = events[reopen_at + 1:]
    state = ProblemState(
        status=S.PENDING,
        rebounds=sum(e.name == "problem_rebound" for e in events),
        verification_failures=sum(e.name == "verification_failed" for e in events),
        open_tasks=[t for t in tasks if t.status == TaskStatus.OPEN],
    )
    # Measure tasks of earlier rounds (before the last reopen) say nothing about this one. The
    # reopen came from completing a verification or look-back task; later rounds' tasks have higher ids.
    since = 0
    if reopen_at >= 0:
        since = max((t.id for t in tasks if t.stage in REOPENING_STAGES and t.status == TaskStatus.COMPLETED),
                    default=0)
    this_round = [t for t in tasks if t.id > since]
    for measure in problem.measures:
        measure_status = _measure_status(measure.item_key, this_round, current)
        state.measures[measure.id] = measure_status
        if measure_status == S.OVERDUE:
            state.overdue_measures.add(measure.id)

    problem_status = next(
        (found for t in state.open_tasks if (found := PROBLEM_STAGES.get(t.stage or "")) is not None), None
    )
    if status == InstanceStatus.COMPLETED:
        state.status = S.CONSOLIDATED
    elif problem_status is not None:
        state.status = problem_status
    elif current and current[-1].name == "problem_closed":
        state.status = S.CLOSED
    else:
        state.status = _rectification_status(state.measures.values(), rebound=reopen_at >= 0
                                             and events[reopen_at].name == "problem_rebound")
    return state


def _measure_status(key: str, tasks: list[HumanTask], current: list[ProcessEvent]) -> S:
    mine = [t for t in tasks if t.item_key == key]
    names = {e.name for e in current if e.item_key == key}
    open_task = next((t for t in reversed(mine) if t.status == TaskStatus.OPEN), None)
    if open_task is not None:
        if open_task.stage == APPROVAL_STAGE:
            status = S.AWAITING_APPROVAL
        elif open_task.assignee is not None or any(t.status == TaskStatus.COMPLETED for t in mine):
            status = S.IN_PROGRESS
        else:
            status = S.PENDING
    elif "measure_approved" in names:
        status = S.DONE
    else:
        status = S.PENDING
    if status in ACTIVE and "measure_overdue" in names:
        return S.OVERDUE
    return status


def _rectification_status(measures: Iterable[S], *, rebound: bool) -> S:
    statuses = list(measures)
    if S.OVERDUE in statuses:
        return S.OVERDUE
    if rebound:
        return S.REOPENED
    if statuses and all(s == S.DONE for s in statuses):
        return S.AWAITING_VERIFICATION
    if S.AWAITING_APPROVAL in statuses and not ({S.PENDING, S.IN_PROGRESS} & set(statuses)):
        return S.AWAITING_APPROVAL
    if set(statuses) - {S.PENDING}:
        return S.IN_PROGRESS
    return S.PENDING


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

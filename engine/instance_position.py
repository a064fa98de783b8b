"""Where an instance stands on its diagram: the steps done, the steps waiting, the timers waiting.

For display (a problem's page draws it on the diagram version the instance runs). The workflow is
read through the engine's own loader (:meth:`WorkflowEngine.load_workflow`, a read-only copy), and
the engine's tables fill in what the task tree no longer holds: compaction drops finished history
from the tree (:mod:`engine.compaction`), so a step done long ago is known from its completed
``human_task`` row or the milestone (``process_event``) it threw. Timers and their due times are the
``timer`` table's, which every save keeps in step with the workflow.

Everything is named by BPMN element id, the ids a diagram viewer knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessEvent, ProcessInstance, TaskStatus, Timer
from .runtime import WorkflowEngine
from .timers import all_tasks

# What a step is, for a list of the diagram's steps (gateways, start and end events are left out:
# they are the diagram's wiring, not steps anyone takes or waits at).
TASK, SUBPROCESS, TIMER, MILESTONE = "task", "subprocess", "timer", "milestone"
# Display states, most telling first: a step current for one measure and done for another is current.
CURRENT, WAITING, ACTIVE, DONE = "current", "waiting", "active", "done"


@dataclass(frozen=True)
class WaitingTimer:
    """A timer event the instance waits on, due at ``due_at`` (UTC); ``item_key`` names what it is about."""

    bpmn_id: str
    due_at: datetime
    item_key: str | None


@dataclass(frozen=True)
class DiagramStep:
    """One step of the diagram in flow order: its element id, name, kind and nesting depth."""

    bpmn_id: str
    name: str
    kind: str
    depth: int


@dataclass(frozen=True)
class InstancePosition:
    """An instance's position on the version of the diagram it runs.

    ``completed``: elements passed at least once; ``current``: element id -> how many tokens wait
    there for a person or a message (one per measure in a multi-instance step); ``active``: the
    subprocesses the current steps are inside; ``timers``: the waiting timers, soonest first;
    ``steps``: the diagram's steps in flow order.
    """

    instance_id: int
    definition_id: int
    process_key: str
    version: int
    finished: bool
    completed: frozenset[str]
    current: dict[str, int]
    active: frozenset[str]
    timers: tuple[WaitingTimer, ...]
    steps: tuple[DiagramStep, ...]

    @property
    def waiting(self) -> frozenset[str]:
        """The ids of the timer events waited on."""
        return frozenset(timer.bpmn_id for timer in self.timers)

    def state_of(self, bpmn_id: str) -> str | None:
        """``current``, ``waiting`` (a timer), ``active`` (a subprocess under way), ``done`` or None
        (not reached): the first that applies."""
        if bpmn_id in self.current:
            return CURRENT
        if bpmn_id in self.waiting:
            return WAITING
        if bpmn_id in self.active:
            return ACTIVE
        if bpmn_id in self.completed:
            return DONE
        return None


def instance_position(engine: WorkflowEngine, session: Session, instance_id: int) -> InstancePosition:
    """Where instance ``instance_id`` stands: done, current and timer elements (``NotFound`` if none).

    Four queries (instance with its definition, completed tasks, events, timers) and one
    deserialisation; nothing is written.
    """
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"instance {instance_id} does not exist")
    definition: ProcessDefinition = instance.definition
    workflow = engine.load_workflow(session, instance_id)
    completed: set[str] = set()
    current: dict[str, int] = {}
    active: set[str] = set()
    for task in all_tasks(workflow):
        bpmn_id = task.task_spec.bpmn_id
        if bpmn_id is None:
            continue  # the engine's own wiring (joins, boundary splits), not on the diagram
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING) and not _is_timer(task.task_spec):
            current[bpmn_id] = current.get(bpmn_id, 0) + 1
        elif task.state == TaskState.STARTED and bpmn_id in workflow.subprocess_specs:
            active.add(bpmn_id)
    completed.update(session.scalars(select(HumanTask.bpmn_id).distinct().where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.COMPLETED)))
    completed.update(session.scalars(select(ProcessEvent.bpmn_id).distinct().where(
        ProcessEvent.instance_id == instance_id)))
    timers = tuple(
        WaitingTimer(bpmn_id, due_at, item_key)
        for bpmn_id, due_at, item_key in session.execute(
            select(Timer.bpmn_id, Timer.due_at, Timer.item_key).where(Timer.instance_id == instance_id)
            .order_by(Timer.due_at, Timer.id)
        ).tuples()
    )
    return InstancePosition(
        instance_id=instance_id, definition_id=definition.id, process_key=definition.process_key,
        version=definition.version, finished=instance.status == InstanceStatus.COMPLETED,
        completed=frozenset(completed), current=current, active=frozenset(active), timers=timers,
        steps=tuple(diagram_steps(workflow)),
    )


def diagram_steps(workflow: BpmnWorkflow) -> list[DiagramStep]:
    """The workflow's steps in flow order, each subprocess followed by its own steps one level deeper."""
    steps: list[DiagramStep] = []
    seen: set[str] = set()

    def walk(spec: BpmnProcessSpec, depth: int) -> None:
        for task_spec in _flow_order(spec):
            bpmn_id = task_spec.bpmn_id
            if bpmn_id is None or bpmn_id in seen:
                continue
            seen.add(bpmn_id)
            kind = _kind(task_spec, workflow)
            if kind is not None:
                steps.append(DiagramStep(bpmn_id, task_spec.bpmn_name or bpmn_id, kind, depth))
            inner = workflow.subprocess_specs.get(bpmn_id)
            if inner is not None:
                walk(inner, depth + 1)

    walk(workflow.spec, 0)
    return steps


def _flow_order(spec: BpmnProcessSpec) -> list[TaskSpec]:
    """The process's task specs breadth first from its start along the flows (a stored spec's
    dictionary has no dependable order: PostgreSQL's JSON keeps keys sorted), then any not reached."""
    ordered: dict[str, TaskSpec] = {}
    queue = [spec.start]
    while queue:
        task_spec = queue.pop(0)
        if task_spec.name in ordered:
            continue
        ordered[task_spec.name] = task_spec
        queue.extend(task_spec.outputs)
    rest = sorted((s for name, s in spec.task_specs.items() if name not in ordered), key=lambda s: s.name)
    return [*ordered.values(), *rest]


def _is_timer(task_spec: TaskSpec) -> bool:
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)


def _kind(task_spec: TaskSpec, workflow: BpmnWorkflow) -> str | None:
    if task_spec.bpmn_id in workflow.subprocess_specs:
        return SUBPROCESS
    if _is_timer(task_spec):
        return TIMER
    names = {cls.__name__ for cls in type(task_spec).__mro__}
    if "IntermediateThrowEvent" in names:
        return MILESTONE
    if task_spec.manual or names & {"ScriptTask", "ServiceTask", "BusinessRuleTask", "CallActivity"}:
        return TASK
    return None

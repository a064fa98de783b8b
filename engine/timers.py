"""Reading the due times of the timers a workflow is waiting on."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .timer_values import parse_instant


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the workflow and its subprocesses, without walking the tree."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Task, datetime]]:
    """Every waiting timer task with its next due time (UTC)."""
    timers = []
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        definition = _timer_of(getattr(task.task_spec, "event_definition", None))
        if definition is None:
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            if value.get("cycles") == 0:
                continue
            value = value["next"]
        timers.append((task, _instant_of_text(value) if isinstance(value, str) else parse_instant(value)))
    return timers


def _timer_of(definition: object) -> TimerEventDefinition | None:
    """The timer a task waits on: its own, or the one among an event-based gateway's events.

    SpiffWorkflow keeps a gateway's timer due time in the gateway task's ``event_value``, as for a
    lone timer event (one timer per gateway).
    """
    if isinstance(definition, MultipleEventDefinition):
        return next((d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)), None)
    return definition if isinstance(definition, TimerEventDefinition) else None


# Every save reads the due time of every waiting timer; the texts repeat from save to save.
_instant_of_text = functools.lru_cache(maxsize=4096)(parse_instant)


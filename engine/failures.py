"""Turning whatever goes wrong inside a step into one ``WorkflowFailure`` naming the element.

SpiffWorkflow reports script errors with the task they happened in, but its own code,
the timer arithmetic and the JSON encoder raise plain ``TypeError``, ``ValueError`` or
bare ``Exception``. At the engine's edge all of them become a ``WorkflowFailure`` with a
one-line message; an unexpected one is also logged with its traceback, for whoever has
to find the bug.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task

from .errors import EngineError, WorkflowFailure, failure_message
from .sandbox import ScriptError
from .timers import all_tasks

log = logging.getLogger(__name__)

# Errors that say what went wrong in the diagram's own terms; anything else is a bug worth a traceback.
_EXPECTED = (SpiffWorkflowException, ScriptError)


def as_failure(exc: BaseException, bpmn_id: str | None = None, what: str = "") -> EngineError:
    """The engine error ``exc`` means: engine errors as they are, anything else a WorkflowFailure.

    The element is ``bpmn_id``, else the task SpiffWorkflow names, else the innermost task
    the traceback passed through.
    """
    if isinstance(exc, EngineError):
        return exc
    bpmn_id = bpmn_id or _element_of(exc)
    if not isinstance(exc, _EXPECTED):
        log.error("unexpected error in %s", f"'{bpmn_id}'" if bpmn_id else "a process step", exc_info=exc)
    return WorkflowFailure(failure_message(bpmn_id, exc, what), bpmn_id=bpmn_id)


def _element_of(exc: BaseException) -> str | None:
    task = getattr(exc, "task", None)
    if isinstance(task, Task):
        return str(task.task_spec.bpmn_id or task.task_spec.name)
    found = None
    traceback = exc.__traceback__
    while traceback is not None:  # innermost wins: the task whose code raised
        for value in (traceback.tb_frame.f_locals.get("my_task"), traceback.tb_frame.f_locals.get("task")):
            if isinstance(value, Task) and getattr(value.task_spec, "bpmn_id", None):
                found = str(value.task_spec.bpmn_id)
        traceback = traceback.tb_next
    return found


def unsaveable(workflow: BpmnWorkflow, exc: BaseException, encode: Callable[[Any], object]) -> WorkflowFailure:
    """The failure for a state that cannot be serialised, naming the task whose data cannot be.

    ``encode`` converts a value the way the state serialiser does and raises as it would.
    The task named is the first one holding a bad value its parent did not have: the
    element that produced it.
    """
    for task in all_tasks(workflow):
        parent = task.parent.data if task.parent is not None else {}
        for key, value in task.data.items():
            if key in parent and _same(parent[key], value):
                continue
            try:
                encode(value)
            except Exception as bad:  # the very errors dumping the state raised
                bpmn_id = str(task.task_spec.bpmn_id or task.task_spec.name)
                return WorkflowFailure(failure_message(bpmn_id, bad, f"saving the field '{key}'"), bpmn_id=bpmn_id)
    return WorkflowFailure(failure_message(None, exc, "saving the state"))


def _same(old: Any, new: Any) -> bool:
    try:
        return bool(old is new or old == new)
    except Exception:  # a value that cannot even be compared is not the parent's
        return False

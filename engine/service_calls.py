"""What the services of one step leave behind: effects for after the commit, audit notes, incidents.

A service runs inside a step (:mod:`engine.step`) with no session in hand. What it wants done
outside the transaction (a POST, a notice) it hands to :func:`after_commit`, and what it wants
audited to :func:`note`; both collect in the step's :class:`ServiceLog`, opened by the step
with :func:`collecting`. The step queues the effects on its session's side effects
(:mod:`engine.side_effects`) only once its savepoint is released, so a step that fails or
rolls back calls nobody.

A service that fails raises :class:`ServiceFailure`; the step turns it into an
:class:`Incident` (:func:`incident_in`) and :func:`write_incidents` stores it with the save.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert
from sqlalchemy.orm import Session

from .audit import record
from .errors import EngineError, one_line
from .loaded_rows import table_of
from .models import ServiceIncident

SideEffect = Callable[[], object]


class ServiceFailure(EngineError):
    """A service refused or failed (an unknown operator, a bad parameter, a host not allowed).

    Inside a step it becomes an incident on the instance, never an error of the step.
    """


@dataclass
class ServiceLog:
    """One step's service effects (run after the commit) and audit notes ``(action, bpmn_id, detail)``."""

    effects: list[SideEffect] = field(default_factory=list)
    notes: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Incident:
    """A service task that failed in a step: its SpiffWorkflow task id, element and one-line message."""

    task_id: str
    bpmn_id: str
    message: str


_log: ContextVar[ServiceLog | None] = ContextVar("rectiflow_service_log", default=None)
_element: ContextVar[str | None] = ContextVar("rectiflow_service_element", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[ServiceLog]:
    """Collect what the services called inside the block leave behind."""
    log = ServiceLog()
    token = _log.set(log)
    try:
        yield log
    finally:
        _log.reset(token)


@contextlib.contextmanager
def calling(bpmn_id: str | None) -> Iterator[None]:
    """Mark the service task being run, so what its service notes names the element."""
    token = _element.set(bpmn_id)
    try:
        yield
    finally:
        _element.reset(token)


def _current(what: str) -> ServiceLog:
    log = _log.get()
    if log is None:
        raise ServiceFailure(f"{what} only inside a process step")
    return log


def after_commit(effect: SideEffect) -> None:
    """Run ``effect`` once the step's transaction has committed (never, if it does not)."""
    _current("a service can act outside the transaction").effects.append(effect)


def note(action: str, detail: dict[str, Any]) -> None:
    """Add an audit entry to the step's save, under the step's actor, naming the service task."""
    _current("a service can write to the audit log").notes.append((action, _element.get(), detail))


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Drop what a service queued or noted before it failed: a failed call leaves nothing behind."""
    log = _log.get()
    marks = (len(log.effects), len(log.notes)) if log is not None else (0, 0)
    try:
        yield
    except BaseException:
        if log is not None:
            del log.effects[marks[0]:], log.notes[marks[1]:]
        raise


def service_failure_in(exc: BaseException) -> ServiceFailure | None:
    """The ServiceFailure behind ``exc`` (SpiffWorkflow wraps it), if there is one."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ServiceFailure):
            return current
        wrapped = getattr(current, "exception", None)
        todo.extend([current.__cause__, current.__context__,
                     wrapped if isinstance(wrapped, BaseException) else None])
    return None


def incident_in(exc: BaseException) -> Incident | None:
    """The incident ``exc`` means: a ServiceFailure raised by a service task now in ERROR state; else None."""
    failure = service_failure_in(exc)
    task = getattr(exc, "task", None)
    if failure is None or not isinstance(task, Task) or task.state != TaskState.ERROR:
        return None
    bpmn_id = str(task.task_spec.bpmn_id or task.task_spec.name)
    return Incident(str(task.id), bpmn_id, one_line(failure))


def write_incidents(
    session: Session, instance_id: int, incidents: list[Incident], log: ServiceLog, *, actor: str, now: datetime
) -> None:
    """Store the step's incidents and audit them and its services' notes (in the step's save)."""
    if incidents:
        session.connection().execute(insert(table_of(ServiceIncident)), [
            {"instance_id": instance_id, "task_id": incident.task_id, "bpmn_id": incident.bpmn_id,
             "message": incident.message, "created_at": now}
            for incident in incidents
        ])
    for incident in incidents:
        record(session, at=now, actor=actor, action="service_incident", instance_id=instance_id,
               bpmn_id=incident.bpmn_id, detail={"task": incident.task_id, "error": incident.message})
    for action, bpmn_id, detail in log.notes:
        record(session, at=now, actor=actor, action=action, instance_id=instance_id, bpmn_id=bpmn_id,
               detail=detail)

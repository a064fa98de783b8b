"""Messages and signals from outside: delivered to the instances waiting for them, or starting processes.

A message or signal is handed to SpiffWorkflow's own event delivery (``BpmnWorkflow.send_event``
with the waiting element's own event definition), one instance at a time, each as one step of
:mod:`engine.step` (locked, loaded, run, saved, audited, in a savepoint of the caller's transaction).

Finding the receivers, and what it costs:

1. Which deployed versions catch or start on which events is read from their specs once per
   version and kept (:class:`Receivers`); specs are already cached by the instance store.
2. One query lists the versions that have running instances (``SELECT DISTINCT definition_id``,
   a scan of the running rows' index entries); a second lists the running instances of the versions
   that catch the event, narrowed by business key in SQL (indexed) when one is given.
3. Each candidate is locked and loaded, and its waiting tasks are asked whether they catch the
   event and whether their data match the correlation. A candidate that does not wait for it
   (it is elsewhere in its diagram, or its data differ) costs one load and writes nothing.

So a message with a business key costs about one load per instance with that key; a message
correlated only by process variables, or a signal, costs one load per running instance of every
version that can catch it. A message delivered to nobody starts the latest version of each process
with a message start event of that name; a signal also starts every process that starts on it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .actor import Actor
from .errors import NoReceiver, TaskStateError
from .failures import as_failure
from .instance_store import InstanceStore
from .models import InstanceStatus, ProcessDefinition, ProcessInstance
from .payload import checked_data
from .step import Audit, StepSkipped, instance_step, new_instance_step

if TYPE_CHECKING:
    from .runtime import WorkflowEngine

Kind = Literal["message", "signal"]
_COMMAND = {"message": "send-message", "signal": "send-signal"}


@dataclass(frozen=True)
class Delivery:
    """What one message or signal did: the instances it reached and the instances it started."""

    received: list[ProcessInstance] = field(default_factory=list)
    started: list[ProcessInstance] = field(default_factory=list)


@dataclass(frozen=True)
class EventCatalogue:
    """The messages and signals one deployed version catches while running, and those it starts on."""

    catches: frozenset[tuple[Kind, str]]
    starts: frozenset[tuple[Kind, str]]
    # Whether every start event of the process waits for a message or a signal.
    starts_only_on_events: bool


class Receivers:
    """Which deployed versions catch or start on which events, read from their specs once per version."""

    def __init__(self, store: InstanceStore) -> None:
        self.store = store
        self._catalogues: dict[int, EventCatalogue] = {}
        self._lock = threading.Lock()

    def of(self, definition: ProcessDefinition) -> EventCatalogue:
        """The catalogue of one deployed version (a version never changes, so it is kept)."""
        with self._lock:
            known = self._catalogues.get(definition.id)
        if known is not None:
            return known
        spec, subs = self.store.specs_for(definition)
        catches = {key for process in [spec, *subs.values()] for task_spec in process.task_specs.values()
                   if isinstance(task_spec, CatchingEvent) for key in _keys(task_spec.event_definition)}
        start_definitions = [ts.event_definition for ts in spec.task_specs.values() if isinstance(ts, StartEvent)]
        starts = {key for definition_ in start_definitions for key in _keys(definition_)}
        only_events = bool(start_definitions) and all(list(_keys(d)) for d in start_definitions)
        catalogue = EventCatalogue(frozenset(catches), frozenset(starts), only_events)
        with self._lock:
            self._catalogues[definition.id] = catalogue
        return catalogue


def check_plain_start(receivers: Receivers, definition: ProcessDefinition) -> None:
    """Refuse to start, with no event, a process that could never leave its start (it waits for an event)."""
    catalogue = receivers.of(definition)
    if not catalogue.starts_only_on_events:
        return
    kind, name = sorted(catalogue.starts)[0]
    raise TaskStateError(f"process '{definition.process_key}' starts on {kind} '{name}': "
                         f"use {_COMMAND[kind]} {name}")


def send_message(
    engine: WorkflowEngine,
    session: Session,
    name: str,
    *,
    business_key: str | None,
    correlation: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    actor: Actor,
) -> Delivery:
    """Deliver a message to the instances waiting for it, or start the processes that start on it.

    An instance receives it when one of its waiting elements catches ``name``, its business key is
    ``business_key`` (when given) and its waiting element's data hold every ``correlation`` value.
    Nobody waiting: the latest version of each process with a message start event ``name`` starts,
    with ``business_key``. Neither: ``NoReceiver`` and nothing is written.
    """
    payload = checked_data(data or {})
    wanted = checked_data(correlation or {})
    received = _deliver_all(engine, session, "message", name, payload, actor, business_key, wanted)
    if received:
        return Delivery(received=received)
    started = _start_all(engine, session, "message", name, payload, actor, business_key)
    if started:
        return Delivery(started=started)
    where = f" with business key '{business_key}'" if business_key is not None else ""
    if wanted:
        where += f" and data {', '.join(f'{k}={v!r}' for k, v in wanted.items())}"
    raise NoReceiver(f"no instance{where} waits for message '{name}', and no deployed process starts on it")


def send_signal(
    engine: WorkflowEngine, session: Session, name: str, *, data: Mapping[str, Any] | None, actor: Actor
) -> Delivery:
    """Broadcast a signal: every waiting instance catches it and every process that starts on it starts.

    Neither: ``NoReceiver`` and nothing is written.
    """
    payload = checked_data(data or {})
    received = _deliver_all(engine, session, "signal", name, payload, actor, None, {})
    started = _start_all(engine, session, "signal", name, payload, actor, None)
    if not received and not started:
        raise NoReceiver(f"no instance waits for signal '{name}', and no deployed process starts on it")
    return Delivery(received=received, started=started)


def waiting_events(workflow: BpmnWorkflow) -> list[str]:
    """The messages and signals a workflow waits for, as ``message 'name'`` (each once, in order)."""
    found: dict[str, None] = {}
    for task in workflow.event_manager.tasks.values():
        for kind, name in _keys(task.task_spec.event_definition):
            found[f"{kind} '{name}'"] = None
    return list(found)


def _keys(definition: EventDefinition | None) -> Iterator[tuple[Kind, str]]:
    """The (kind, name) of a message or signal definition; those inside an event-based gateway too."""
    if isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            yield from _keys(inner)
    elif isinstance(definition, MessageEventDefinition) and definition.name:
        yield "message", definition.name
    elif isinstance(definition, SignalEventDefinition) and definition.name:
        yield "signal", definition.name


def _matching(definition: EventDefinition, kind: Kind, name: str) -> EventDefinition | None:
    """The definition (itself or one inside an event-based gateway's) that is ``kind`` ``name``."""
    if isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            found = _matching(inner, kind, name)
            if found is not None:
                return found
        return None
    return definition if (kind, name) in set(_keys(definition)) else None


def _candidates(
    engine: WorkflowEngine, session: Session, kind: Kind, name: str, business_key: str | None
) -> list[int]:
    """The running instances, in id order (the order locks are taken), whose version catches the event."""
    running = select(ProcessInstance.definition_id).where(ProcessInstance.status == InstanceStatus.RUNNING)
    definition_ids = session.scalars(running.distinct()).all()
    catching = [definition_id for definition_id in definition_ids
                if (kind, name) in engine.receivers.of(_definition(session, definition_id)).catches]
    if not catching:
        return []
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.definition_id.in_(catching))
             .order_by(ProcessInstance.id))
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    return list(session.scalars(query))


def _definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    assert definition is not None  # an instance's version is never deleted
    return definition


class _NotWaiting(Exception):  # noqa: N818 - not an error: this instance does not wait for the event
    """Raised inside a step to roll it back unwritten."""


def _deliver_all(
    engine: WorkflowEngine, session: Session, kind: Kind, name: str, payload: dict[str, Any], actor: Actor,
    business_key: str | None, correlation: dict[str, Any],
) -> list[ProcessInstance]:
    received = []
    for instance_id in _candidates(engine, session, kind, name, business_key):
        instance = _deliver(engine, session, instance_id, kind, name, payload, actor, correlation)
        if instance is not None:
            received.append(instance)
    return received


def _deliver(
    engine: WorkflowEngine, session: Session, instance_id: int, kind: Kind, name: str, payload: dict[str, Any],
    actor: Actor, correlation: dict[str, Any],
) -> ProcessInstance | None:
    """Hand the event to one instance if it waits for it; None (nothing written) if it does not."""
    detail: dict[str, Any] = {"name": name, "data": payload}
    if correlation:
        detail["correlation"] = correlation
    audit = Audit(actor.key, kind, detail=detail)
    try:
        with instance_step(engine.store, session, instance_id, now=engine.clock(), seconds=engine.step_seconds,
                           audit=audit, ready=_running) as step:
            waiting = [(task, found) for task in list(step.workflow.event_manager.tasks.values())
                       if (found := _matching(task.task_spec.event_definition, kind, name)) is not None
                       and all(task.data.get(k) == v for k, v in correlation.items())]
            if not waiting:
                raise _NotWaiting
            audit.bpmn_id = waiting[0][0].task_spec.bpmn_id
            _catch(step.workflow, [task for task, _found in waiting], waiting[0][1], payload)
            step.advance()
    except (StepSkipped, _NotWaiting):
        return None
    return step.instance


def _catch(workflow: BpmnWorkflow, tasks: list[Task], definition: EventDefinition, payload: dict[str, Any]) -> None:
    """Deliver through SpiffWorkflow and give the catching elements the event's data.

    SpiffWorkflow keeps a message's data only under a ``spiffworkflow:messageVariable`` (a signal's
    under its ``variable``); a diagram from another modeler has none, so the data become process
    variables of the element that caught it (as Camunda and Flowable do).
    """
    try:
        workflow.send_event(BpmnEvent(definition, payload=deepcopy(payload)))
    except Exception as exc:
        raise as_failure(exc, tasks[0].task_spec.bpmn_id) from None
    if getattr(definition, "message_var", None) is None and getattr(definition, "variable", None) is None:
        for task in tasks:
            if task.state == TaskState.READY:
                task.set_data(**deepcopy(payload))


def _running(instance: ProcessInstance) -> bool:
    return instance.status == InstanceStatus.RUNNING


def _start_all(
    engine: WorkflowEngine, session: Session, kind: Kind, name: str, payload: dict[str, Any], actor: Actor,
    business_key: str | None,
) -> list[ProcessInstance]:
    """Start the latest version of every process that starts on the event."""
    latest = (select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_key).subquery())
    definitions = session.scalars(
        select(ProcessDefinition)
        .join(latest, (ProcessDefinition.process_key == latest.c.process_key)
              & (ProcessDefinition.version == latest.c.version))
        .order_by(ProcessDefinition.process_key)
    ).all()
    return [_start(engine, session, definition, kind, name, payload, actor, business_key)
            for definition in definitions if (kind, name) in engine.receivers.of(definition).starts]


def _start(
    engine: WorkflowEngine, session: Session, definition: ProcessDefinition, kind: Kind, name: str,
    payload: dict[str, Any], actor: Actor, business_key: str | None,
) -> ProcessInstance:
    """A new instance of ``definition`` whose start event catches the event; run to its first wait."""
    now = engine.clock()
    instance = ProcessInstance(definition=definition, business_key=business_key, status=InstanceStatus.RUNNING,
                               data=payload, created_at=now, updated_at=now)
    audit = Audit(actor.key, "start", bpmn_id=definition.process_key,
                  detail={"version": definition.version, "business_key": business_key, kind: name})
    with new_instance_step(engine.store, session, instance, now=now, seconds=engine.step_seconds,
                           audit=audit) as step:
        step.advance()  # the start event now waits for the event
        waiting = [(task, found) for task in list(step.workflow.event_manager.tasks.values())
                   if isinstance(task.task_spec, StartEvent)
                   and (found := _matching(task.task_spec.event_definition, kind, name)) is not None]
        if not waiting:  # the catalogue said it starts on the event: a diagram SpiffWorkflow reads otherwise
            raise TaskStateError(f"process '{definition.process_key}' did not wait for {kind} '{name}' at its start")
        _catch(step.workflow, [task for task, _found in waiting], waiting[0][1], payload)
        step.advance()
    return instance

"""One step of one instance, written once: lock → load → run → save → record → flush.

Every change to an instance (completing a task, amending its data, firing its timers,
and, as a variant, starting it) is the same skeleton around a different piece of work:

1. a savepoint of the caller's transaction, so a failed step writes nothing and leaves
   the transaction usable (PostgreSQL refuses every later statement of a transaction
   that saw an error, unless the error is rolled back to a savepoint);
2. the instance's row locked (``FOR UPDATE`` on PostgreSQL) and read again under the
   lock, and its version token checked when it is saved (everywhere), so a lost race is
   a ``ConflictError`` and never a lost update;
3. the workflow loaded (the engine's in-memory copy when it is the stored version);
4. the caller's work, on the step's clock and under the step's time limit;
5. the state saved, the task, timer and event rows synced, the audit entry recorded, flushed;
6. once the savepoint is released, what the step's services left for after the commit queued on
   the session (:mod:`engine.side_effects`): a step that fails calls nobody.

A service task whose service fails (``ServiceFailure``) does not fail the step: the task stays
in SpiffWorkflow's ERROR state, the other ready work runs on, and the step saves the failure as
an incident (:mod:`engine.service_calls`, :mod:`engine.service_incidents`).

Whatever goes wrong reaches the caller as the engine error it means: the work and the
save turn the diagram's failures into ``WorkflowFailure``; lost races become
``ConflictError`` here. The caller commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .audit import record
from .clock import running_on
from .errors import NotFound, WorkflowFailure, conflicts
from .failures import as_failure
from .instance_store import Events, InstanceStore, Live, properties_of
from .loaded_rows import as_loaded, held, table_of
from .models import ProcessInstance
from .properties import EVENT
from .service_calls import Incident, ServiceLog, collecting, incident_in, write_incidents
from .side_effects import side_effects
from .step_limits import MAX_ROUNDS, check_time, time_limit
from .timers import all_tasks


class StepSkipped(Exception):  # noqa: N818 - not an error: the step had nothing to do
    """The instance was locked by someone else, or had nothing to do; nothing was written."""


@dataclass
class Audit:
    """The audit entry a step records when it succeeds; the work may fill in ``detail``."""

    actor: str
    action: str
    task_id: int | None = None
    bpmn_id: str | None = None
    detail: dict[str, Any] | None = None


@dataclass
class Step:
    """One instance between its load and its save: what the caller's work reads and changes."""

    instance: ProcessInstance
    workflow: BpmnWorkflow
    # The rows the instance's last save wrote, when the workflow is the engine's in-memory copy.
    known: Live | None
    audit: Audit
    events: Events = field(default_factory=list)
    # An amend re-evaluates the unit, user, item and due date of the instance's open tasks.
    reassess_open_tasks: bool = False
    # What the step's services left behind, and the service tasks that failed in it.
    services: ServiceLog = field(default_factory=ServiceLog)
    incidents: list[Incident] = field(default_factory=list)

    def advance(self) -> None:
        """Run the workflow's engine tasks until it waits for a person, a timer or an incident."""
        advance(self.workflow, self.events, self.incidents)


@contextlib.contextmanager
def instance_step(
    store: InstanceStore,
    session: Session,
    instance_id: int,
    *,
    now: datetime,
    seconds: float,
    audit: Audit,
    run_at: datetime | None = None,
    skip_locked: bool = False,
    ready: Callable[[ProcessInstance], bool] | None = None,
) -> Iterator[Step]:
    """Lock, load, yield the step to the caller's work, then save, sync, record and flush.

    ``ready`` looks at the locked instance before it is loaded: it raises to refuse the
    step, or returns False when there is nothing to do. ``skip_locked`` leaves an instance
    someone else holds to them. Either way the step raises ``StepSkipped``. The work runs
    on the clock ``run_at`` (default ``now``) for at most ``seconds``; the rows and the
    audit entry are written at ``now``.
    """
    with collecting() as services:
        with _atomic(session):
            instance = lock_instance(session, instance_id, skip_locked=skip_locked)
            if instance is None or (ready is not None and not ready(instance)):
                raise StepSkipped(instance_id)
            with running(run_at or now, seconds):
                workflow, known = store.load(instance)
                step = Step(instance, workflow, known, audit, services=services)
                yield step
                _finish(store, session, step, now)
        _queue_effects(session, services)


@contextlib.contextmanager
def new_instance_step(
    store: InstanceStore, session: Session, instance: ProcessInstance, *, now: datetime, seconds: float, audit: Audit
) -> Iterator[Step]:
    """The variant that starts ``instance``: a new workflow of its definition, nothing to lock or load.

    Its first save inserts the instance; ``audit`` is recorded with the new id.
    """
    with collecting() as services:
        with _atomic(session), running(now, seconds):
            spec, subs = store.specs_for(instance.definition)
            workflow = BpmnWorkflow(spec, subs, script_engine=store.script_engine)
            step = Step(instance, workflow, Live("", None, set(), {}), audit, services=services)
            yield step
            _finish(store, session, step, now)
        _queue_effects(session, services)


@contextlib.contextmanager
def running(now: datetime, seconds: float) -> Iterator[None]:
    """Run the block on a clock stopped at ``now`` (timers, ``now()`` in scripts) for at most ``seconds``."""

    def clock() -> datetime:
        return now

    with running_on(clock), time_limit(seconds):
        yield


_INSTANCES = table_of(ProcessInstance)
# Everything but the large deferred columns: a step whose workflow the engine holds never reads them.
_ROW = [column for column in _INSTANCES.c if column.name not in ("state", "data")]
# Built once: every step runs one of them, and SQLAlchemy reuses a statement's compiled form and cache key.
_LOCK = {
    skip: select(*_ROW).where(_INSTANCES.c.id == bindparam("instance_id")).with_for_update(skip_locked=skip)
    for skip in (False, True)
}


@overload
def lock_instance(session: Session, instance_id: int) -> ProcessInstance: ...


@overload
def lock_instance(session: Session, instance_id: int, *, skip_locked: bool) -> ProcessInstance | None: ...


def lock_instance(session: Session, instance_id: int, *, skip_locked: bool = False) -> ProcessInstance | None:
    """The instance, locked and read afresh; None when ``skip_locked`` and someone else holds it.

    One Core statement; the row becomes the session's ``ProcessInstance`` (the one it holds, brought
    up to date, or a new one attached without a query), as the ORM would have loaded it.
    """
    row = session.connection().execute(_LOCK[skip_locked], {"instance_id": instance_id}).one_or_none()
    if row is None:
        if skip_locked:
            return None
        raise NotFound(f"instance {instance_id} does not exist")
    values = row._asdict()
    instance = held(session, ProcessInstance, instance_id)
    if instance is not None and instance.__dict__.get("version") != values["version"]:
        # Someone saved it since: its state and data must be read again when needed.
        session.expire(instance, ["state", "data"])
    return as_loaded(session, ProcessInstance, values)


def advance(workflow: BpmnWorkflow, events: Events, incidents: list[Incident] | None = None) -> None:
    """Run engine tasks until only people and timers are left; completed event throws go to ``events``.

    With ``incidents``, a service task whose service fails is added there and left in its ERROR
    state, and the rest of the ready work goes on; without, it fails the step like any error.
    """

    def completed(task: Task) -> None:
        check_time(task.task_spec.bpmn_id)
        properties = properties_of(task)
        if EVENT in properties:
            events.append((task, properties))

    rounds = 0
    while rounds < MAX_ROUNDS:
        try:
            # do_engine_steps ends by refreshing timers; a timer that fired leaves engine work behind.
            workflow.do_engine_steps(did_complete_task=completed)
            if not any(t.state == TaskState.READY and not t.task_spec.manual for t in all_tasks(workflow)):
                return
            check_time()
        except Exception as exc:  # whatever SpiffWorkflow or a timer raised: one failure naming the element
            incident = incident_in(exc) if incidents is not None else None
            if incident is None or incidents is None:
                raise as_failure(exc) from None
            # The failed task left the ready ones (ERROR), so going on always makes progress.
            incidents.append(incident)
            continue
        rounds += 1
    raise WorkflowFailure("the process loops without waiting for anyone; check its gateways")


@contextlib.contextmanager
def _atomic(session: Session) -> Iterator[None]:
    # The savepoint is rolled back before a lost race is named, so a ConflictError writes nothing too.
    with conflicts(), session.begin_nested():
        yield


def _finish(store: InstanceStore, session: Session, step: Step, now: datetime) -> None:
    store.save(session, step.instance, step.workflow, step.events, now, step.known)
    if step.reassess_open_tasks:
        store.refresh_open_rows(session, step.instance, step.workflow)
    audit = step.audit
    record(session, at=now, actor=audit.actor, action=audit.action, instance_id=step.instance.id,
           task_id=audit.task_id, bpmn_id=audit.bpmn_id, detail=audit.detail)
    write_incidents(session, step.instance.id, step.incidents, step.services, actor=audit.actor, now=now)
    session.flush()


def _queue_effects(session: Session, services: ServiceLog) -> None:
    """Hand the services' effects to the session's unit of work: they run after its commit."""
    queue = side_effects(session)
    for effect in services.effects:
        queue.add(effect)

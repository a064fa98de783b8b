"""The engine: start instances, run them, and keep tasks, timers and events in step.

Every operation takes the caller's session and only flushes; the caller
commits once per unit of work. Each change to an instance (start, complete,
amend, timers) is one step of :mod:`engine.step`: under a row lock (PostgreSQL)
and a version check (everywhere), so a lost race is a ``ConflictError`` and
never a lost update, and in a savepoint, so a failed step writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import incidents, messages, timer_firing
from .actor import Actor
from .audit import record
from .clock import Clock, system_clock
from .deploy import DeployResult, ParserFactory, default_parser, deploy, deploy_path
from .errors import ConflictError, NotAllowed, NotFound, TaskStateError
from .errors import conflicts as _conflicts
from .failures import as_failure
from .incidents import MAX_TIMER_ATTEMPTS
from .instance_store import InstanceStore
from .messages import Delivery, Receivers
from .models import (
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    Timer,
    check_open,
    task_is_claimable_by,
)
from .payload import checked_data
from .reassign import reassign as reassign_task
from .script_env import SandboxScriptEngine, step_script_engine
from .serialization import StateSerializer
from .service_incidents import ServiceIncidentOperations
from .services import ServiceRegistry
from .step import Audit, instance_step, new_instance_step
from .step_limits import MAX_ROUNDS, REQUEST_STEP_SECONDS, TIMER_STEP_SECONDS
from .task_rows import claim_row, complete_row, read_claim
from .timer_firing import TimerFiring
from .timers import all_tasks

__all__ = ["MAX_ROUNDS", "MAX_TIMER_ATTEMPTS", "WorkflowEngine"]


class WorkflowEngine(ServiceIncidentOperations):
    """Runs deployed BPMN processes on SpiffWorkflow with state in the database.

    Like SpiffWorkflow's example engine it is handed its collaborators (parser, serializer,
    script engine, clock); one left out is the default its small builder makes. It patches
    nothing: SpiffWorkflow is corrected once per process when the ``engine`` package is
    imported (:mod:`engine.spiff_compat`).
    """

    def __init__(
        self,
        clock: Clock = system_clock,
        *,
        parser_factory: ParserFactory = default_parser,
        serializer: StateSerializer | None = None,
        script_engine: SandboxScriptEngine | None = None,
        services: ServiceRegistry | None = None,
        cache_size: int = 256,
    ) -> None:
        """An engine on ``clock`` with the given collaborators; each left out is the default.

        ``parser_factory`` makes a BPMN parser for each deployed file (default: SpiffWorkflow's,
        which reads ``spiffworkflow:properties``); ``serializer`` stores workflow state and
        specs (default: :class:`StateSerializer`, specs kept out of instances); ``script_engine``
        runs every script and expression (default: the sandbox, ``now()`` the step's time); its service
        tasks call ``services`` (default: none enabled; incidents: :mod:`engine.service_incidents`).
        ``cache_size`` workflows stay deserialised between steps (0: always load from the database).
        """
        self.clock = clock
        self.parser_factory = parser_factory
        self.serializer = serializer if serializer is not None else StateSerializer()
        self.script_engine = script_engine if script_engine is not None else step_script_engine()
        if services is not None:
            self.script_engine.services = services
        self.store = InstanceStore(self.serializer, self.script_engine, cache_size)
        self.receivers = Receivers(self.store)
        # Wall-clock seconds one instance's step may take (engine.step_limits).
        self.step_seconds = REQUEST_STEP_SECONDS
        self.timer_step_seconds = TIMER_STEP_SECONDS

    # -- deployment --------------------------------------------------------

    def deploy(self, session: Session, content: bytes, source_name: str, *, actor: str) -> list[DeployResult]:
        """Deploy a diagram's executable processes (a no-op for unchanged content)."""
        return deploy(session, content, source_name, actor=actor, at=self.clock(), serializer=self.serializer,
                      parser_factory=self.parser_factory, services=self.script_engine.services)

    def deploy_path(self, session: Session, path: Path, *, actor: str) -> list[DeployResult]:
        """Deploy one ``.bpmn`` file from disk."""
        return deploy_path(session, path, actor=actor, at=self.clock(), serializer=self.serializer,
                           parser_factory=self.parser_factory, services=self.script_engine.services)

    def latest_definition(self, session: Session, process_key: str) -> ProcessDefinition:
        """The newest deployed version of a process."""
        definition = session.scalar(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == process_key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        if definition is None:
            raise NotFound(f"process '{process_key}' is not deployed")
        return definition

    # -- instances ---------------------------------------------------------

    def start(
        self,
        session: Session,
        process_key: str,
        data: Mapping[str, Any],
        *,
        actor: Actor,
        business_key: str | None = None,
    ) -> ProcessInstance:
        """Start the latest version of a process with ``data`` and run it to its first wait.

        A process that starts only on a message or signal is refused: started plainly it would never move.
        """
        definition = self.latest_definition(session, process_key)
        messages.check_plain_start(self.receivers, definition)
        now = self.clock()
        payload = checked_data(data)
        instance = ProcessInstance(definition=definition, business_key=business_key, status=InstanceStatus.RUNNING,
                                   data=payload, created_at=now, updated_at=now)
        audit = Audit(actor.key, "start", bpmn_id=process_key,
                      detail={"version": definition.version, "business_key": business_key})
        with new_instance_step(self.store, session, instance, now=now, seconds=self.step_seconds,
                               audit=audit) as step:
            for task in step.workflow.get_tasks(state=TaskState.READY):
                task.set_data(**payload)
            step.advance()
        return instance

    def load_workflow(self, session: Session, instance_id: int) -> BpmnWorkflow:
        """A read-only copy of an instance's workflow (for inspection; changes are not saved)."""
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} does not exist")
        return self.store.deserialise(instance)

    # -- messages and signals ----------------------------------------------

    def send_message(self, session: Session, name: str, *, business_key: str | None = None,
                     correlation: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
                     actor: Actor) -> Delivery:
        """Deliver a message to the instances waiting for it (by business key and/or data), else start
        the processes with that message start event; ``NoReceiver`` if neither (:mod:`engine.messages`)."""
        return messages.send_message(self, session, name, business_key=business_key, correlation=correlation,
                                     data=data, actor=actor)

    def send_signal(self, session: Session, name: str, *, data: Mapping[str, Any] | None = None,
                    actor: Actor) -> Delivery:
        """Broadcast a signal to every waiting instance and start every process that starts on it."""
        return messages.send_signal(self, session, name, data=data, actor=actor)

    # -- human tasks -------------------------------------------------------

    def claim(self, session: Session, task_id: int, actor: Actor) -> HumanTask:
        """Claim an open task; exactly one of two concurrent claims wins."""
        now = self.clock()
        with _conflicts():
            # One conditional UPDATE decides the race; only a refusal reads the row to say why.
            claimed = claim_row(session, task_id, actor, now)
            if claimed is None:
                self._refuse_claim(session, task_id, actor)
            assert claimed is not None
        return claimed

    def _refuse_claim(self, session: Session, task_id: int, actor: Actor) -> None:
        task = self._open_task(session, task_id)
        session.refresh(task)
        check_open(task)
        if task.assignee is not None:
            raise TaskStateError(f"task {task_id} is already claimed by {task.assignee}")
        if not task_is_claimable_by(task, actor.key, actor.groups, actor.units):
            raise NotAllowed(f"{actor.key} may not claim task {task_id} ({task.name})")
        raise ConflictError(f"task {task_id} changed while being claimed; reload it")

    def unclaim(self, session: Session, task_id: int, actor: Actor) -> HumanTask:
        """Give a claimed task back to its candidates; only the claimant may."""
        now = self.clock()
        with _conflicts():
            task = self._open_task(session, task_id)
            if task.assignee != actor.key:
                raise NotAllowed(f"task {task_id} is not claimed by {actor.key}")
            result = session.execute(
                update(HumanTask)
                .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN,
                       HumanTask.assignee == actor.key)
                .values(assignee=None, claimed_at=None)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(f"task {task_id} changed while being released; reload it")
            session.refresh(task)
            record(session, at=now, actor=actor.key, action="unclaim", instance_id=task.instance_id,
                   task_id=task.id, bpmn_id=task.bpmn_id)
            session.flush()
        return task

    def reassign(self, session: Session, task_id: int, new_assignee: str, actor: Actor, reason: str) -> HumanTask:
        """Hand an open task to ``new_assignee`` (转办), who then holds it; audited with ``reason``.

        Who may reassign, and to whom, is the caller's rule (``workflows.reassign``).
        """
        return reassign_task(session, task_id, new_assignee, actor, reason, at=self.clock())

    def completable_task(self, session: Session, task_id: int, actor: Actor) -> HumanTask:
        """The open task the actor holds, or the error completing it would give."""
        task = self._open_task(session, task_id)
        self._check_claimant(task, actor)
        return task

    def complete(self, session: Session, task_id: int, actor: Actor, data: Mapping[str, Any]) -> HumanTask:
        """Complete a task the actor has claimed, with the submitted data, and run on."""
        now = self.clock()
        payload = checked_data(data)
        task = self.completable_task(session, task_id, actor)

        audit = Audit(actor.key, "complete", task_id=task.id, bpmn_id=task.bpmn_id, detail=payload)
        # No read of the task under the lock: completing its row is conditional (still open, still
        # theirs), and only when that or the workflow says no is the row read, to say why.
        with instance_step(self.store, session, task.instance_id, now=now, seconds=self.step_seconds,
                           audit=audit) as step:
            if step.known is not None:
                step.known.open_tasks.discard(task.task_guid)  # completed below, not cancelled
            try:
                spiff_task = _ready_task(step.workflow, task)
            except TaskStateError:
                self._refuse_completion(session, task, actor)
                raise
            spiff_task.set_data(**payload)
            try:
                spiff_task.run()
            except Exception as exc:
                raise as_failure(exc, task.bpmn_id) from None
            step.advance()
            if not complete_row(session, task, actor, now, payload):
                self._refuse_completion(session, task, actor)
                raise ConflictError(f"task {task.id} changed while being completed; reload it")
        return task

    def _refuse_completion(self, session: Session, task: HumanTask, actor: Actor) -> None:
        """Raise what a rival made of the task meanwhile (completed it, released it, took it over), if anything."""
        read_claim(session, task)
        check_open(task)
        self._check_claimant(task, actor)

    # -- amending a running instance ----------------------------------------

    def amend(
        self,
        session: Session,
        instance_id: int,
        actor: Actor,
        change: Callable[[dict[str, Any]], bool],
        *,
        reason: str,
    ) -> int:
        """Apply ``change`` to the data of every task of a running instance.

        Finished tasks change too: SpiffWorkflow re-inherits a waiting task's data from
        its (finished) parent whenever it refreshes it, so an edit made only below would
        be undone. ``change`` edits one task's data in place and says whether it changed anything.
        Date timers waiting on changed data are re-evaluated (a new deadline moves its timer)
        and open human tasks take their new due date, unit and user. Returns how many
        tasks changed.
        """
        detail: dict[str, Any] = {"reason": reason}
        with instance_step(self.store, session, instance_id, now=self.clock(), seconds=self.step_seconds,
                           audit=Audit(actor.key, "amend", detail=detail), ready=_amendable) as step:
            detail["tasks"] = changed = _amend_tasks(step.workflow, change)
            # Fragments are reused only while their data's fingerprint holds; an amend is rare
            # enough to write the whole state afresh all the same.
            self.serializer.forget(step.workflow)
            step.advance()
            step.reassess_open_tasks = True
        return changed

    # -- timers ------------------------------------------------------------

    def fire_due_timers(
        self, session: Session, now: datetime | None = None, *, limit: int = 500, time_budget: float | None = 60.0
    ) -> list[int]:
        """Advance exactly the instances whose timers are due at ``now``; returns their ids.

        Each instance runs in its own savepoint under a time limit: one failing diagram
        does not hold back the others, and its timers record the attempt and the error
        (after ``MAX_TIMER_ATTEMPTS`` an incident). Instances not reached within
        ``time_budget`` seconds wait for the next tick.
        """
        return timer_firing.fire_due_timers(self, session, now or self.clock(), limit=limit, time_budget=time_budget)

    def fire_next_due_timer(
        self, session: Session, now: datetime | None = None, *,
        passed: Collection[int] = (), advanced: Container[int] = (),
    ) -> TimerFiring | None:
        """Lock ONE instance whose timers are due at ``now`` and that no one else holds, and fire them.

        Returns what became of it, or None when nothing due is left for this caller. The caller
        commits at once (one instance per unit of work), so schedulers running side by side take
        different instances (PostgreSQL: ``FOR UPDATE SKIP LOCKED``) and each timer fires once.
        ``passed`` and ``advanced``: the instances this tick already left or advanced
        (:func:`engine.timer_firing.fire_next_due_timer`).
        """
        return timer_firing.fire_next_due_timer(self, session, now or self.clock(), passed=passed,
                                                advanced=advanced)

    def incidents(self, session: Session, *, limit: int = 200) -> list[Timer]:
        """Timers that gave up after ``MAX_TIMER_ATTEMPTS`` failed attempts, the longest overdue first."""
        return incidents.list_incidents(session, limit=limit)

    def retry_incident(self, session: Session, timer_id: int, actor: Actor) -> Timer:
        """Let an incident's timer fire again on the next tick; audited under ``actor``."""
        return incidents.retry_incident(session, timer_id, actor, at=self.clock())

    def skip_incident(self, session: Session, timer_id: int, actor: Actor, reason: str) -> Timer:
        """Stop an incident's timer for good (the instance stays as it is); audited with ``reason``."""
        return incidents.skip_incident(session, timer_id, actor, reason, at=self.clock())

    # -- internals ---------------------------------------------------------

    def _open_task(self, session: Session, task_id: int) -> HumanTask:
        task = session.get(HumanTask, task_id)
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        check_open(task)
        return task

    @staticmethod
    def _check_claimant(task: HumanTask, actor: Actor) -> None:
        if task.assignee is None:
            raise TaskStateError(f"task {task.id} must be claimed before it is completed")
        if task.assignee != actor.key:
            raise NotAllowed(f"task {task.id} is claimed by {task.assignee}, not {actor.key}")


def _ready_task(workflow: BpmnWorkflow, task: HumanTask) -> Task:
    """The workflow's ready task behind a ``human_task`` row; a row the process has left is stale."""
    try:
        spiff_task = workflow.get_task_from_id(UUID(task.task_guid))
    except TaskNotFoundException:
        spiff_task = None
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise TaskStateError(f"task {task.id} is stale: the process has moved on; reload")
    return spiff_task


def _amendable(instance: ProcessInstance) -> bool:
    if instance.status != InstanceStatus.RUNNING:
        raise TaskStateError(f"instance {instance.id} is {instance.status.value}: nothing to amend")
    return True


def _amend_tasks(workflow: BpmnWorkflow, change: Callable[[dict[str, Any]], bool]) -> int:
    """Apply ``change`` to every task's data; how many tasks it changed."""
    changed = 0
    for task in list(all_tasks(workflow)):
        if not change(task.data):
            continue
        changed += 1
        # A date timer re-reads its date from the data; durations and cycles keep the
        # schedule they started (a look-back six months after closure stays there).
        if isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition):
            task.internal_data.pop("event_value", None)
    return changed


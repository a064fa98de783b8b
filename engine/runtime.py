"""The engine: start instances, run them, and keep tasks, timers and events in step.

Every operation takes the caller's session and only flushes; the caller
commits once per unit of work. Each change to an instance happens under a row
lock (PostgreSQL) and a version check (everywhere), so a lost race is a
``ConflictError`` and never a lost update.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, overload
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import spiff_compat
from .actor import Actor
from .audit import record
from .clock import Clock, running_on, system_clock
from .compaction import compact
from .deploy import DeployResult, deploy, deploy_path
from .errors import ConflictError, NotAllowed, NotFound, TaskStateError, WorkflowFailure
from .inbox import candidate_condition
from .models import (
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessEvent,
    ProcessInstance,
    TaskStatus,
    Timer,
    task_is_claimable_by,
)
from .properties import CANDIDATE_GROUP, CANDIDATE_UNIT, CANDIDATE_USER, DUE, EVENT, FORM, ITEM_KEY
from .sandbox import ScriptError
from .script_env import SandboxScriptEngine
from .serialization import StateSerializer
from .timers import all_tasks, waiting_timers

# A run that keeps producing engine work this many rounds is looping without a person in it.
MAX_ROUNDS = 1000
# Timers that failed this often wait for an administrator instead of retrying on every tick.
MAX_TIMER_ATTEMPTS = 5

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


@dataclass
class _Live:
    """A workflow kept deserialised between steps, with the rows its last save wrote."""

    version: str
    workflow: BpmnWorkflow | None
    open_tasks: set[str]
    timers: dict[str, datetime]


class WorkflowEngine:
    """Runs deployed BPMN processes on SpiffWorkflow with state in the database."""

    def __init__(self, clock: Clock = system_clock, *, cache_size: int = 256) -> None:
        """``cache_size`` workflows stay deserialised between steps (0: always load from the database)."""
        spiff_compat.apply()
        self.clock = clock
        self.cache_size = cache_size
        self._live: OrderedDict[int, _Live] = OrderedDict()
        self._live_lock = threading.Lock()
        self.serializer = StateSerializer()
        self.script_engine = SandboxScriptEngine(clock=self._run_clock)
        self._specs: dict[int, Specs] = {}
        self._process_keys: dict[int, str] = {}
        self._specs_lock = threading.Lock()
        self._active_clock: Clock = clock

    # -- deployment --------------------------------------------------------

    def deploy(self, session: Session, content: bytes, source_name: str, *, actor: str) -> list[DeployResult]:
        """Deploy a diagram's executable processes (a no-op for unchanged content)."""
        return deploy(session, content, source_name, actor=actor, at=self.clock(), serializer=self.serializer)

    def deploy_path(self, session: Session, path: Path, *, actor: str) -> list[DeployResult]:
        """Deploy one ``.bpmn`` file from disk."""
        return deploy_path(session, path, actor=actor, at=self.clock(), serializer=self.serializer)

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
        """Start the latest version of a process with ``data`` and run it to its first wait."""
        definition = self.latest_definition(session, process_key)
        now = self.clock()
        payload = _checked_data(data)
        with self._running(now):
            spec, subs = self._specs_for(definition)
            workflow = BpmnWorkflow(spec, subs, script_engine=self.script_engine)
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**payload)
            events: list[tuple[Task, dict[str, Any]]] = []
            self._advance(workflow, events)
            instance = ProcessInstance(
                definition=definition,
                business_key=business_key,
                status=InstanceStatus.RUNNING,
                data=payload,
                created_at=now,
                updated_at=now,
            )
            self._save(session, instance, workflow, events, now, _Live("", None, set(), {}))
        record(session, at=now, actor=actor.key, action="start", instance_id=instance.id,
               bpmn_id=process_key, detail={"version": definition.version, "business_key": business_key})
        session.flush()
        return instance

    def load_workflow(self, session: Session, instance_id: int) -> BpmnWorkflow:
        """A read-only copy of an instance's workflow (for inspection; changes are not saved)."""
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} does not exist")
        return self._deserialise(instance)

    # -- human tasks -------------------------------------------------------

    def claim(self, session: Session, task_id: int, actor: Actor) -> HumanTask:
        """Claim an open task; exactly one of two concurrent claims wins."""
        now = self.clock()
        with _conflicts():
            # One conditional UPDATE decides the race; only a refusal reads the row to say why.
            result = session.execute(
                update(HumanTask)
                .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_(None),
                       candidate_condition(actor))
                .values(assignee=actor.key, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                self._refuse_claim(session, task_id, actor)
            claimed = session.get(HumanTask, task_id, populate_existing=True)
            assert claimed is not None
            record(session, at=now, actor=actor.key, action="claim", instance_id=claimed.instance_id,
                   task_id=claimed.id, bpmn_id=claimed.bpmn_id)
            session.flush()
        return claimed

    def _refuse_claim(self, session: Session, task_id: int, actor: Actor) -> None:
        task = self._open_task(session, task_id)
        session.refresh(task)
        self._check_open(task)
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

    def completable_task(self, session: Session, task_id: int, actor: Actor) -> HumanTask:
        """The open task the actor holds, or the error completing it would give."""
        task = self._open_task(session, task_id)
        self._check_claimant(task, actor)
        return task

    def complete(self, session: Session, task_id: int, actor: Actor, data: Mapping[str, Any]) -> HumanTask:
        """Complete a task the actor has claimed, with the submitted data, and run on."""
        now = self.clock()
        payload = _checked_data(data)
        with _conflicts():
            task = self._open_task(session, task_id)
            self._check_claimant(task, actor)
            instance = self._lock_instance(session, task.instance_id)
            session.refresh(task)
            self._check_open(task)
            self._check_claimant(task, actor)
            with self._running(now):
                workflow, known = self._load(instance)
                if known is not None:
                    known.open_tasks.discard(task.task_guid)  # completed below, not cancelled
                try:
                    spiff_task = workflow.get_task_from_id(UUID(task.task_guid))
                except TaskNotFoundException:
                    spiff_task = None
                if spiff_task is None or spiff_task.state != TaskState.READY:
                    raise TaskStateError(f"task {task_id} is stale: the process has moved on; reload")
                spiff_task.set_data(**payload)
                events: list[tuple[Task, dict[str, Any]]] = []
                try:
                    spiff_task.run()
                except (SpiffWorkflowException, ScriptError) as exc:
                    raise WorkflowFailure(_failure(task.bpmn_id, exc)) from None
                self._advance(workflow, events)
                task.status = TaskStatus.COMPLETED
                task.completed_at = now
                task.completed_by = actor.key
                task.data = payload
                self._save(session, instance, workflow, events, now, known)
            record(session, at=now, actor=actor.key, action="complete", instance_id=instance.id,
                   task_id=task.id, bpmn_id=task.bpmn_id, detail=payload)
            session.flush()
        return task

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
        Timers waiting on changed data are re-evaluated (a new deadline moves its timer)
        and open human tasks take their new due date, unit and user. Returns how many
        tasks changed.
        """
        now = self.clock()
        with _conflicts():
            instance = self._lock_instance(session, instance_id)
            if instance.status != InstanceStatus.RUNNING:
                raise TaskStateError(f"instance {instance_id} is {instance.status.value}: nothing to amend")
            with self._running(now):
                workflow, known = self._load(instance)
                changed = 0
                for task in list(all_tasks(workflow)):
                    if not change(task.data):
                        continue
                    changed += 1
                    if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
                        task.internal_data.pop("event_value", None)
                events: list[tuple[Task, dict[str, Any]]] = []
                self._advance(workflow, events)
                self._save(session, instance, workflow, events, now, known)
                self._refresh_open_rows(session, instance, workflow)
            record(session, at=now, actor=actor.key, action="amend", instance_id=instance_id,
                   detail={"reason": reason, "tasks": changed})
            session.flush()
        return changed

    def _refresh_open_rows(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        rows = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN)
        ).all()
        for row in rows:
            task = workflow.get_task_from_id(UUID(row.task_guid))
            fresh = self._human_task(instance, task, row.created_at)
            row.candidate_unit, row.candidate_user = fresh.candidate_unit, fresh.candidate_user
            row.item_key, row.due_at = fresh.item_key, fresh.due_at

    # -- timers ------------------------------------------------------------

    def fire_due_timers(self, session: Session, now: datetime | None = None, *, limit: int = 500) -> list[int]:
        """Advance exactly the instances whose timers are due at ``now``; returns their ids.

        Each instance runs in its own savepoint: one failing diagram does not
        hold back the others, and its timer records the attempt and the error.
        """
        now = now or self.clock()
        instance_ids = session.scalars(
            select(Timer.instance_id)
            .where(Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
            .group_by(Timer.instance_id)
            .order_by(func.min(Timer.due_at))
            .limit(limit)
        ).all()
        advanced = []
        for instance_id in instance_ids:
            try:
                with session.begin_nested():
                    fired = self._fire_instance(session, instance_id, now)
                if fired:
                    advanced.append(instance_id)
            except (WorkflowFailure, ConflictError) as exc:
                session.execute(
                    update(Timer)
                    .where(Timer.instance_id == instance_id, Timer.due_at <= now)
                    .values(attempts=Timer.attempts + 1, last_error=str(exc))
                )
        session.flush()
        return advanced

    def _fire_instance(self, session: Session, instance_id: int, now: datetime) -> bool:
        with _conflicts():
            # Another scheduler (or a person) holds this instance: leave it to them, fire the rest.
            instance = self._lock_instance(session, instance_id, skip_locked=True)
            if instance is None:
                return False
            due = session.scalars(
                select(Timer.bpmn_id).where(Timer.instance_id == instance_id, Timer.due_at <= now)
            ).all()
            # SpiffWorkflow fires a timer strictly after its due time; "due at now" must fire now.
            with self._running(now + timedelta(microseconds=1)):
                workflow, known = self._load(instance)
                events: list[tuple[Task, dict[str, Any]]] = []
                # A cycle timer fires once per refresh; catch up on every period that has passed.
                for _ in range(MAX_ROUNDS):
                    self._advance(workflow, events)
                    if not any(when <= now for _, when in waiting_timers(workflow)):
                        break
                self._save(session, instance, workflow, events, now, known)
            record(session, at=now, actor="system", action="timer", instance_id=instance_id,
                   detail={"timers": sorted(set(due))})
            session.flush()
        return True

    # -- internals ---------------------------------------------------------

    @contextlib.contextmanager
    def _running(self, now: datetime) -> Iterator[None]:
        def clock() -> datetime:
            return now

        with running_on(clock):
            yield

    def _run_clock(self) -> datetime:
        from .clock import current_time

        return current_time()

    def _process_key(self, instance: ProcessInstance) -> str:
        key = self._process_keys.get(instance.definition_id)
        if key is None:
            key = self._process_keys[instance.definition_id] = instance.definition.process_key
        return key

    def _specs_for(self, definition: ProcessDefinition) -> Specs:
        return self._specs_by_id(definition.id, lambda: definition.specs)

    def _specs_by_id(self, definition_id: int, stored: Callable[[], dict[str, Any]]) -> Specs:
        with self._specs_lock:
            specs = self._specs.get(definition_id)
            if specs is None:
                specs = self.serializer.specs_from_dict(stored())
                self._specs[definition_id] = specs
            return specs

    def _load(self, instance: ProcessInstance) -> tuple[BpmnWorkflow, _Live | None]:
        """The instance's workflow: the in-memory copy if it is the stored version, else deserialised."""
        with self._live_lock:
            cached = self._live.pop(instance.id, None)
        if cached is not None and cached.version == instance.version and cached.workflow is not None:
            # The rows this engine wrote with that version are still the rows in the database.
            return cached.workflow, cached
        return self._deserialise(instance), None

    def _remember(self, instance: ProcessInstance, live: _Live) -> None:
        if self.cache_size <= 0:
            return
        with self._live_lock:
            self._live[instance.id] = live
            while len(self._live) > self.cache_size:
                self._live.popitem(last=False)

    @staticmethod
    def _read_rows(session: Session, instance_id: int) -> _Live:
        open_tasks = set(session.scalars(
            select(HumanTask.task_guid).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
        ))
        timers = dict(session.execute(
            select(Timer.task_guid, Timer.due_at).where(Timer.instance_id == instance_id)
        ).tuples().all())
        return _Live("", None, open_tasks, timers)

    def _deserialise(self, instance: ProcessInstance) -> BpmnWorkflow:
        spec, subs = self._specs_by_id(instance.definition_id, lambda: instance.definition.specs)
        workflow = self.serializer.load_state(instance.state, spec, subs)
        workflow.script_engine = self.script_engine
        return workflow

    @overload
    def _lock_instance(self, session: Session, instance_id: int) -> ProcessInstance: ...

    @overload
    def _lock_instance(
        self, session: Session, instance_id: int, *, skip_locked: bool
    ) -> ProcessInstance | None: ...

    def _lock_instance(
        self, session: Session, instance_id: int, *, skip_locked: bool = False
    ) -> ProcessInstance | None:
        instance = session.scalar(
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .with_for_update(of=ProcessInstance, skip_locked=skip_locked)
            .execution_options(populate_existing=True)
        )
        if instance is None:
            if skip_locked:
                return None
            raise NotFound(f"instance {instance_id} does not exist")
        return instance

    def _open_task(self, session: Session, task_id: int) -> HumanTask:
        task = session.get(HumanTask, task_id)
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        self._check_open(task)
        return task

    @staticmethod
    def _check_open(task: HumanTask) -> None:
        if task.status == TaskStatus.COMPLETED:
            raise TaskStateError(f"task {task.id} is already completed")
        if task.status == TaskStatus.CANCELLED:
            raise TaskStateError(f"task {task.id} was cancelled: the process has moved on")

    @staticmethod
    def _check_claimant(task: HumanTask, actor: Actor) -> None:
        if task.assignee is None:
            raise TaskStateError(f"task {task.id} must be claimed before it is completed")
        if task.assignee != actor.key:
            raise NotAllowed(f"task {task.id} is claimed by {task.assignee}, not {actor.key}")

    def _advance(self, workflow: BpmnWorkflow, events: list[tuple[Task, dict[str, Any]]]) -> None:
        def completed(task: Task) -> None:
            properties = _properties(task)
            if EVENT in properties:
                events.append((task, properties))

        try:
            for _ in range(MAX_ROUNDS):
                # do_engine_steps ends by refreshing timers; a timer that fired leaves engine work behind.
                workflow.do_engine_steps(did_complete_task=completed)
                if not any(t.state == TaskState.READY and not t.task_spec.manual for t in all_tasks(workflow)):
                    return
        except (SpiffWorkflowException, ScriptError) as exc:
            task = getattr(exc, "task", None)
            raise WorkflowFailure(_failure(task.task_spec.bpmn_id if task else None, exc)) from None
        raise WorkflowFailure("the process loops without waiting for anyone; check its gateways")

    def _save(
        self,
        session: Session,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        events: list[tuple[Task, dict[str, Any]]],
        now: datetime,
        known: _Live | None,
    ) -> None:
        compact(workflow)
        instance.state = self.serializer.dump_state(workflow)
        instance.updated_at = now
        if instance.id is None:  # a new instance is inserted with its first state
            session.add(instance)
            session.flush()
        if workflow.is_completed():
            instance.status = InstanceStatus.COMPLETED
            instance.completed_at = now
        known = known or self._read_rows(session, instance.id)
        open_tasks = self._sync_tasks(session, instance, workflow, known.open_tasks, now)
        timers = self._sync_timers(session, instance, workflow, known.timers)
        for task, properties in events:
            session.add(ProcessEvent(
                instance_id=instance.id,
                name=properties[EVENT],
                bpmn_id=task.task_spec.bpmn_id,
                item_key=self._property(task, properties, ITEM_KEY),
                candidate_user=self._property(task, properties, CANDIDATE_USER),
                at=now,
            ))
        session.flush()
        self._remember(instance, _Live(instance.version, workflow, open_tasks, timers))

    def _sync_tasks(
        self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, known: set[str], now: datetime
    ) -> set[str]:
        """Open a row for every newly ready user task and cancel rows whose task went away."""
        ready = {str(t.id): t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual}
        gone = known - ready.keys()
        if gone:
            session.flush()  # a row completed in this unit of work must be written before the bulk update
            session.execute(
                update(HumanTask)
                .where(HumanTask.instance_id == instance.id, HumanTask.task_guid.in_(gone),
                       HumanTask.status == TaskStatus.OPEN)
                .values(status=TaskStatus.CANCELLED, completed_at=now)
                .execution_options(synchronize_session=False)
            )
        for guid in ready.keys() - known:
            session.add(self._human_task(instance, ready[guid], now))
        return set(ready)

    def _human_task(self, instance: ProcessInstance, task: Task, now: datetime) -> HumanTask:
        spec = task.task_spec
        properties = _properties(task)
        due = self._property(task, properties, DUE)
        return HumanTask(
            instance_id=instance.id,
            task_guid=str(task.id),
            process_key=self._process_key(instance),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            candidate_group=properties.get(CANDIDATE_GROUP) or spec.lane,
            candidate_unit=self._property(task, properties, CANDIDATE_UNIT),
            candidate_user=self._property(task, properties, CANDIDATE_USER),
            item_key=self._property(task, properties, ITEM_KEY),
            form_key=properties.get(FORM),
            business_key=instance.business_key,
            due_at=_parse_when(due) if due else None,
            status=TaskStatus.OPEN,
            created_at=now,
        )

    def _sync_timers(
        self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, known: dict[str, datetime]
    ) -> dict[str, datetime]:
        """Make the timer rows match the workflow's waiting timers."""
        current = {str(task.id): (task, when) for task, when in waiting_timers(workflow)}
        gone = known.keys() - current.keys()
        if gone:
            session.execute(delete(Timer).where(Timer.instance_id == instance.id, Timer.task_guid.in_(gone)))
        for guid, (task, when) in current.items():
            if guid not in known:
                session.add(Timer(instance_id=instance.id, task_guid=guid, bpmn_id=task.task_spec.bpmn_id,
                                  due_at=when, attempts=0))
            elif known[guid] != when:
                session.execute(
                    update(Timer).where(Timer.instance_id == instance.id, Timer.task_guid == guid)
                    .values(due_at=when, attempts=0, last_error=None)
                )
        return {guid: when for guid, (_task, when) in current.items()}

    def _property(self, task: Task, properties: Mapping[str, str], name: str) -> str | None:
        expression = properties.get(name)
        if not expression:
            return None
        try:
            value = self.script_engine.evaluate(task, expression)
        except (SpiffWorkflowException, ScriptError) as exc:
            raise WorkflowFailure(_failure(task.task_spec.bpmn_id, exc, f"property '{name}'")) from None
        return None if value is None else str(value)


def _properties(task: Task) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return extensions.get("properties", {}) or {}


def _checked_data(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise TaskStateError("task data must be an object of named values")
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise TaskStateError(f"invalid field name {key!r}: use letters, digits and underscores")
    try:
        return json.loads(json.dumps(dict(data)))
    except (TypeError, ValueError):
        raise TaskStateError("task data must contain only text, numbers, booleans, lists and objects") from None


def _parse_when(value: str) -> datetime:
    from .timers import parse_instant

    return parse_instant(value)


def _failure(bpmn_id: str | None, exc: BaseException, what: str = "") -> str:
    where = f"'{bpmn_id}'" if bpmn_id else "the process"
    if what:
        where = f"{what} of {where}"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return f"{where} failed: {message}"


@contextlib.contextmanager
def _conflicts() -> Iterator[None]:
    """Turn lost races into ConflictError, whatever the database reports."""
    try:
        yield
    except StaleDataError:
        raise ConflictError("someone else changed this process at the same time; reload and try again") from None
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if "locked" in text or "could not serialize" in text or "deadlock" in text:
            raise ConflictError("the process is busy with another change; try again") from None
        raise

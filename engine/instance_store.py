"""Where instances live between steps: loading, saving, and the rows kept in step.

The store turns a workflow into stored state and back, keeps recently used
workflows deserialised (keyed by the random version token of their stored
state, so a stale copy is never used), and after every run rewrites the
``human_task``, ``timer`` and ``process_event`` rows from the workflow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Update, bindparam, delete, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .compaction import compact
from .errors import ConflictError, WorkflowFailure
from .failures import as_failure, unsaveable
from .loaded_rows import attach, table_of
from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessEvent, ProcessInstance, TaskStatus, Timer
from .properties import CANDIDATE_GROUP, CANDIDATE_UNIT, CANDIDATE_USER, DUE, EVENT, FORM, ITEM_KEY, STAGE
from .property_values import checked_due, checked_text
from .script_env import SandboxScriptEngine
from .serialization import StateSerializer
from .state_versions import StateVersionError
from .step_limits import check_time
from .timers import all_tasks, waiting_timers

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]
Events = list[tuple[Task, dict[str, str]]]
# Characters of one instance's stored state: beyond this, data has run away (a script
# building millions of items), and every later load and save would pay for it.
MAX_STATE_CHARS = 50_000_000


def _write_state_statement(*, completed: bool) -> Update:
    table = table_of(ProcessInstance)
    values = {name: bindparam(name, type_=table.c[name].type) for name in ("state", "updated_at", "version")}
    if completed:
        values.update(status=bindparam("status", type_=table.c.status.type),
                      completed_at=bindparam("completed_at", type_=table.c.completed_at.type))
    return update(table).where(table.c.id == bindparam("instance_id"),
                               table.c.version == bindparam("old_version")).values(**values)


# Built once (SQLAlchemy reuses a statement's compiled form and cache key): by whether the save completes it.
_WRITE_STATE = {completed: _write_state_statement(completed=completed) for completed in (False, True)}


_DELETE_TIMERS = delete(table_of(Timer)).where(
    table_of(Timer).c.instance_id == bindparam("instance_id"),
    table_of(Timer).c.task_guid.in_(bindparam("guids", expanding=True)),
)


@dataclass
class Live:
    """A workflow kept deserialised between steps, with the rows its last save wrote."""

    version: str
    workflow: BpmnWorkflow | None
    open_tasks: set[str]
    timers: dict[str, datetime]


class InstanceStore:
    """Loads and saves instances for one engine; thread-safe."""

    def __init__(self, serializer: StateSerializer, script_engine: SandboxScriptEngine, cache_size: int) -> None:
        self.serializer = serializer
        self.script_engine = script_engine
        self.cache_size = cache_size
        self._live: OrderedDict[int, Live] = OrderedDict()
        self._live_lock = threading.Lock()
        self._specs: dict[int, Specs] = {}
        self._process_keys: dict[int, str] = {}
        self._specs_lock = threading.Lock()

    def _process_key(self, instance: ProcessInstance) -> str:
        key = self._process_keys.get(instance.definition_id)
        if key is None:
            key = self._process_keys[instance.definition_id] = instance.definition.process_key
        return key

    def specs_for(self, definition: ProcessDefinition) -> Specs:
        """A version's spec objects, rebuilt once per process and cached."""
        return self._specs_by_id(definition.id, lambda: definition.specs)

    def _specs_by_id(self, definition_id: int, stored: Callable[[], dict[str, Any]]) -> Specs:
        with self._specs_lock:
            specs = self._specs.get(definition_id)
            if specs is None:
                specs = self.serializer.specs_from_dict(stored())
                self._specs[definition_id] = specs
            return specs

    def load(self, instance: ProcessInstance) -> tuple[BpmnWorkflow, Live | None]:
        """The instance's workflow: the in-memory copy if it is the stored version, else deserialised."""
        with self._live_lock:
            cached = self._live.pop(instance.id, None)
        if cached is not None and cached.version == instance.version and cached.workflow is not None:
            # The rows this engine wrote with that version are still the rows in the database.
            return cached.workflow, cached
        return self.deserialise(instance), None

    def _remember(self, instance: ProcessInstance, live: Live) -> None:
        if self.cache_size <= 0:
            return
        with self._live_lock:
            self._live[instance.id] = live
            while len(self._live) > self.cache_size:
                self._live.popitem(last=False)

    @staticmethod
    def _read_rows(session: Session, instance_id: int) -> Live:
        open_tasks = set(session.scalars(
            select(HumanTask.task_guid).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
        ))
        timers = dict(session.execute(
            select(Timer.task_guid, Timer.due_at).where(Timer.instance_id == instance_id)
        ).tuples().all())
        return Live("", None, open_tasks, timers)

    def deserialise(self, instance: ProcessInstance) -> BpmnWorkflow:
        """The instance's workflow from its stored state (upgraded in memory when an older release wrote it).

        A state or specs this code cannot read are refused naming the instance; nothing is written.
        """
        try:
            spec, subs = self._specs_by_id(instance.definition_id, lambda: instance.definition.specs)
            workflow = self.serializer.load_state(instance.state, spec, subs)
        except StateVersionError as exc:
            raise StateVersionError(f"process instance {instance.id} ({instance.business_key or 'no business key'}) "
                                    f"cannot be loaded: {exc}") from None
        workflow.script_engine = self.script_engine
        return workflow

    def rewrite_state(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        """Store a loaded workflow again, unchanged but for its layout and version (under a new version token).

        Nothing ran, so the task, timer and event rows still match and ``updated_at`` is kept.
        """
        compact(workflow)
        self._write_state(session, instance, self._dump(workflow), instance.updated_at, completed=False)

    def save(
        self,
        session: Session,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        events: Events,
        now: datetime,
        known: Live | None,
    ) -> None:
        compact(workflow)
        state = self._dump(workflow)
        completed = workflow.is_completed()
        if instance.id is None:  # a new instance is inserted with its first state
            instance.state, instance.updated_at = state, now
            if completed:
                instance.status, instance.completed_at = InstanceStatus.COMPLETED, now
            self._insert(session, instance)
        else:
            self._write_state(session, instance, state, now, completed)
        known = known or self._read_rows(session, instance.id)
        open_tasks = self._sync_tasks(session, instance, workflow, known.open_tasks, now)
        timers = self._sync_timers(session, instance, workflow, known.timers)
        if events:
            session.connection().execute(insert(table_of(ProcessEvent)), [
                {
                    "instance_id": instance.id,
                    "name": properties[EVENT],
                    "bpmn_id": task.task_spec.bpmn_id,
                    "item_key": self._property(task, properties, ITEM_KEY),
                    "candidate_user": self._property(task, properties, CANDIDATE_USER),
                    "at": now,
                }
                for task, properties in events
            ])
        self._remember(instance, Live(instance.version, workflow, open_tasks, timers))

    @staticmethod
    def _insert(session: Session, instance: ProcessInstance) -> None:
        """Insert a new instance by one Core statement and attach it to the session as loaded."""
        if not inspect(instance).transient:  # already in a session: leave it to the ORM
            session.add(instance)
            session.flush()
            return
        instance.definition_id = instance.definition.id
        instance.version = uuid4().hex
        table = table_of(ProcessInstance)
        values = {column.name: getattr(instance, column.name) for column in table.c if column.name != "id"}
        values["status"] = values["status"] or InstanceStatus.RUNNING
        values["data"] = values["data"] if values["data"] is not None else {}
        instance.id = session.connection().execute(insert(table).returning(table.c.id), values).scalar_one()
        instance.status, instance.data = values["status"], values["data"]
        attach(session, instance)

    @staticmethod
    def _write_state(session: Session, instance: ProcessInstance, state: str, now: datetime, completed: bool) -> None:
        """The instance's new state under a fresh version token, if nobody saved it since it was read.

        One Core statement: the version check is the UPDATE's WHERE clause (a lost race updates
        no row), and the ORM object is brought up to date without a unit of work of its own.
        """
        values: dict[str, Any] = {"state": state, "updated_at": now, "version": uuid4().hex}
        if completed:
            values.update(status=InstanceStatus.COMPLETED, completed_at=now)
        result = session.connection().execute(
            _WRITE_STATE[completed], {**values, "instance_id": instance.id, "old_version": instance.version}
        )
        if result.rowcount != 1:
            raise ConflictError("someone else changed this process at the same time; reload and try again")
        for name, value in values.items():
            set_committed_value(instance, name, value)

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
                # Rows already loaded in this session show the cancellation too.
                .execution_options(synchronize_session="evaluate")
            )
        new = [self._human_task(instance, ready[guid], now) for guid in ready.keys() - known]
        if new:
            # Bulk inserts: rows, not objects; nobody in this unit of work needs them as objects.
            session.connection().execute(insert(table_of(HumanTask)), new)
        return set(ready)

    def _human_task(self, instance: ProcessInstance, task: Task, now: datetime) -> dict[str, Any]:
        """The ``human_task`` row for a ready user task, its properties evaluated on its data."""
        spec = task.task_spec
        properties = properties_of(task)
        return {
            "instance_id": instance.id,
            "task_guid": str(task.id),
            "process_key": self._process_key(instance),
            "bpmn_id": spec.bpmn_id,
            "name": spec.bpmn_name or spec.bpmn_id,
            "lane": spec.lane,
            "candidate_group": properties.get(CANDIDATE_GROUP) or None,  # lane group resolved at deploy
            "candidate_unit": self._property(task, properties, CANDIDATE_UNIT),
            "candidate_user": self._property(task, properties, CANDIDATE_USER),
            "item_key": self._property(task, properties, ITEM_KEY),
            "form_key": properties.get(FORM),
            "stage": properties.get(STAGE) or None,
            "business_key": instance.business_key,
            "due_at": checked_due(spec.bpmn_id, self._value(task, properties, DUE)),
            "status": TaskStatus.OPEN,
            "created_at": now,
        }

    def _sync_timers(
        self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, known: dict[str, datetime]
    ) -> dict[str, datetime]:
        """Make the timer rows match the workflow's waiting timers."""
        current = {str(task.id): (task, when) for task, when in waiting_timers(workflow)}
        gone = known.keys() - current.keys()
        # Straight to the connection; Timer objects this session holds are kept in step by hand
        # (the ORM's own bookkeeping for a bulk delete costs more than the delete).
        if gone:
            session.connection().execute(_DELETE_TIMERS, {"instance_id": instance.id, "guids": sorted(gone)})
            for held in [t for t in session.identity_map.values() if isinstance(t, Timer)]:
                if held.instance_id == instance.id and held.task_guid in gone:
                    session.expunge(held)
        new = [
            {"instance_id": instance.id, "task_guid": guid, "bpmn_id": task.task_spec.bpmn_id, "due_at": when,
             "item_key": self._property(task, properties_of(task), ITEM_KEY), "attempts": 0}
            for guid, (task, when) in current.items() if guid not in known
        ]
        if new:
            session.connection().execute(insert(table_of(Timer)), new)
        for guid, (task, when) in current.items():
            if guid in known and known[guid] != when:
                session.execute(
                    update(Timer).where(Timer.instance_id == instance.id, Timer.task_guid == guid)
                    .values(due_at=when, item_key=self._property(task, properties_of(task), ITEM_KEY),
                            attempts=0, last_error=None)
                )
        return {guid: when for guid, (_task, when) in current.items()}

    def _property(self, task: Task, properties: Mapping[str, str], name: str) -> str | None:
        """A text property evaluated on the task's data, checked against its column."""
        return checked_text(task.task_spec.bpmn_id, name, self._value(task, properties, name))

    def _value(self, task: Task, properties: Mapping[str, str], name: str) -> object:
        expression = properties.get(name)
        if not expression:
            return None
        check_time(task.task_spec.bpmn_id)
        try:
            return self.script_engine.evaluate(task, expression)
        except Exception as exc:
            raise as_failure(exc, task.task_spec.bpmn_id, f"property '{name}'") from None

    def _dump(self, workflow: BpmnWorkflow) -> str:
        """The stored state; data that cannot be stored fails naming the element that produced it."""
        try:
            state = self.serializer.dump_state(workflow)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise unsaveable(workflow, exc, self.serializer.encode_value) from None
        check_time()
        # The cheap length check first: no point encoding megabytes that will be refused anyway.
        if len(state) > MAX_STATE_CHARS:
            raise WorkflowFailure(f"the process failed: its state has grown to {len(state) // 1_000_000} MB; "
                                  f"at most {MAX_STATE_CHARS // 1_000_000} MB can be stored")
        try:
            state.encode("utf-8")  # a lone surrogate fails here, not inside the database driver
        except UnicodeEncodeError as exc:
            raise unsaveable(workflow, exc, self.serializer.encode_value) from None
        return state

    def refresh_open_rows(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        """Re-evaluate the unit, user, item and due date of an instance's open task rows (after an amend)."""
        rows = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN)
        ).all()
        for row in rows:
            task = workflow.get_task_from_id(UUID(row.task_guid))
            fresh = self._human_task(instance, task, row.created_at)
            row.candidate_unit, row.candidate_user = fresh["candidate_unit"], fresh["candidate_user"]
            row.item_key, row.due_at = fresh["item_key"], fresh["due_at"]


def properties_of(task: Task) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return extensions.get("properties", {}) or {}

"""Engine tables: definitions, instances, human tasks, timers, events, service incidents, audit.

The engine's tables answer "what waits for whom, and when is it due" without
deserialising a workflow: ``human_task`` and ``timer`` are kept in step with
the workflow state in the same transaction as every save.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, JsonType
from .errors import TaskStateError
from .types import UtcDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ProcessDefinition(Base):
    """One deployed version of one process; specs are stored once here."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        UniqueConstraint("process_key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str | None] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(400))
    # Large and needed rarely (specs once per version per process): load on first access only.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    specs: Mapped[dict[str, Any]] = mapped_column(JsonType, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(100))


class ProcessInstance(Base):
    """A running or finished workflow; ``state`` is its serialised task tree without specs."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[InstanceStatus] = mapped_column(_enum(InstanceStatus), default=InstanceStatus.RUNNING)
    # Deferred: a step whose workflow the engine still holds in memory never reads it back.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A fresh random token on every save: the optimistic lock, and the key of the engine's
    # in-memory copy (a token never repeats, even after a rolled-back save).
    version: Mapped[str] = mapped_column(String(32))

    definition: Mapped[ProcessDefinition] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": lambda _old: uuid.uuid4().hex}


# The predicates of the inbox's partial indexes; engine.inbox repeats them word for word
# (SQLite uses a partial index only when the query states its predicate as written).
_OPEN = "status = 'open'"
_CLAIMABLE = "status = 'open' AND assignee IS NULL"
_CLAIMABLE_BY_GROUP = "status = 'open' AND assignee IS NULL AND candidate_user IS NULL"
_CLAIMABLE_BY_GROUP_ANY_UNIT = _CLAIMABLE_BY_GROUP + " AND candidate_unit IS NULL"
_DONE = "status = 'completed'"


class HumanTask(Base):
    """A user task waiting for (or done by) a person; the inbox reads only this table."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid"),
        # Partial indexes over open tasks only, one per inbox lookup (engine.inbox): they stay
        # small however many tasks are completed, and each lookup is a seek.
        # Each goes on to (due_at, id): a lookup reads its soonest tasks in order and stops.
        Index("ix_human_task_open_group", "candidate_group", "candidate_unit", "due_at", "id",
              sqlite_where=text(_CLAIMABLE_BY_GROUP), postgresql_where=text(_CLAIMABLE_BY_GROUP)),
        # Unit-less group tasks apart: no database reads an index in order past an IS NULL term.
        Index("ix_human_task_open_group_any_unit", "candidate_group", "due_at", "id",
              sqlite_where=text(_CLAIMABLE_BY_GROUP_ANY_UNIT), postgresql_where=text(_CLAIMABLE_BY_GROUP_ANY_UNIT)),
        Index("ix_human_task_open_user", "candidate_user", "due_at", "id",
              sqlite_where=text(_CLAIMABLE), postgresql_where=text(_CLAIMABLE)),
        Index("ix_human_task_open_assignee", "assignee", "due_at", "id",
              sqlite_where=text(_OPEN), postgresql_where=text(_OPEN)),
        Index("ix_human_task_item", "item_key", "status"),
        # The inbox's "done by me" tab: its count and its newest-first list, without a scan.
        Index("ix_human_task_done", "completed_by", "completed_at",
              sqlite_where=text(_DONE), postgresql_where=text(_DONE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    process_key: Mapped[str] = mapped_column(String(200))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_group: Mapped[str | None] = mapped_column(String(100))
    candidate_unit: Mapped[str | None] = mapped_column(String(100))
    candidate_user: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(200))
    item_key: Mapped[str | None] = mapped_column(String(200))
    form_key: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(50))  # the task's literal ``stage`` property
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.OPEN)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class Timer(Base):
    """A timer waiting in an instance; rewritten with every save of that instance."""

    __tablename__ = "timer"
    __table_args__ = (UniqueConstraint("instance_id", "task_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    item_key: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ProcessEvent(Base):
    """A milestone the diagram marked with an ``event`` property (e.g. measure_overdue)."""

    __tablename__ = "process_event"
    __table_args__ = (Index("ix_process_event_item", "item_key", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    item_key: Mapped[str | None] = mapped_column(String(200))
    candidate_user: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """Append-only log of who did what, when, to which instance and task, with what data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # The web request or scheduler tick that wrote it (engine.request_context), as its log lines show it.
    request_id: Mapped[str | None] = mapped_column(String(64))


class ServiceIncident(Base):
    """A service task that failed: the instance waits at it until an administrator retries or skips it.

    ``task_id`` is SpiffWorkflow's task id (a UUID) of the service task, which stays in its ERROR state
    meanwhile; a retry that fails again opens a new incident, so each row is one failure.
    """

    __tablename__ = "service_incident"
    __table_args__ = (Index("ix_service_incident_open", "resolved_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)  # "retried", or "skipped: <reason>"


class SchedulerHeartbeat(Base):
    """One scheduler process (replica): when it started, last ticked and will tick next, what it did.

    Written by each process at every tick (its own row), read by ``rectiflow scheduler --status``
    and health checks; a row whose ``last_tick_at`` is old belongs to a process that has stopped.
    """

    __tablename__ = "scheduler_heartbeat"

    replica: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_tick_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_tick_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_fired: Mapped[int] = mapped_column(Integer, default=0)  # instances advanced by the last tick
    last_error: Mapped[str | None] = mapped_column(Text)
    # Counted since the replica started (its row is its own): Prometheus counters of ticks per replica.
    ticks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_ticks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def task_is_claimable_by(task: HumanTask, key: str, groups: frozenset[str], units: frozenset[str]) -> bool:
    """Whether a person with these groups and units may claim ``task`` (ignoring who holds it).

    Deny by default: a task names a user, or a group the person is in (and, if it names a
    unit, one of theirs). ``engine.inbox.candidate_condition`` is the same rule in SQL.
    """
    if task.candidate_user is not None:
        return task.candidate_user == key
    if task.candidate_group is None or task.candidate_group not in groups:
        return False
    return task.candidate_unit is None or task.candidate_unit in units


def check_open(task: HumanTask) -> None:
    """Refuse (``TaskStateError``) to act on a task that is completed or cancelled."""
    if task.status == TaskStatus.COMPLETED:
        raise TaskStateError(f"task {task.id} is already completed")
    if task.status == TaskStatus.CANCELLED:
        raise TaskStateError(f"task {task.id} was cancelled: the process has moved on")


def column_length(model: type[Any], column: str) -> int:
    """The declared length of a string column, so limits checked in code follow the schema."""
    length = getattr(model.__table__.c[column].type, "length", None)
    assert isinstance(length, int), f"{model.__name__}.{column} has no length"
    return length

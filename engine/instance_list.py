"""A list of process instances of any deployed process, with what each running one waits on.

What an instance waits on comes from the rows the engine keeps in step with every save (open
human tasks, timers), and, for an instance of a version that can catch messages or signals, from
its loaded workflow (one load each: the listing is bounded by ``limit``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .messages import waiting_events
from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskStatus, Timer

if TYPE_CHECKING:
    from .runtime import WorkflowEngine


@dataclass(frozen=True)
class InstanceSummary:
    """One instance as a list shows it; ``waiting_*`` are empty for a finished one."""

    id: int
    process_key: str
    version: int
    business_key: str | None
    status: InstanceStatus
    started_at: datetime
    completed_at: datetime | None
    waiting_tasks: list[str] = field(default_factory=list)
    waiting_timers: list[tuple[str, datetime]] = field(default_factory=list)
    waiting_events: list[str] = field(default_factory=list)


def list_instances(
    engine: WorkflowEngine,
    session: Session,
    *,
    process_key: str | None = None,
    status: InstanceStatus | None = None,
    limit: int = 100,
) -> list[InstanceSummary]:
    """The newest ``limit`` instances (of ``process_key``, in ``status``), newest first."""
    query = (select(ProcessInstance, ProcessDefinition)
             .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
             .order_by(ProcessInstance.id.desc()).limit(limit))
    if process_key is not None:
        query = query.where(ProcessDefinition.process_key == process_key)
    if status is not None:
        query = query.where(ProcessInstance.status == status)
    rows = session.execute(query).tuples().all()
    running = [instance.id for instance, _definition in rows if instance.status == InstanceStatus.RUNNING]
    tasks: dict[int, list[str]] = defaultdict(list)
    timers: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    if running:
        for instance_id, name in session.execute(
            select(HumanTask.instance_id, HumanTask.name)
            .where(HumanTask.instance_id.in_(running), HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)
        ).tuples():
            tasks[instance_id].append(name)
        for instance_id, bpmn_id, due_at in session.execute(
            select(Timer.instance_id, Timer.bpmn_id, Timer.due_at)
            .where(Timer.instance_id.in_(running)).order_by(Timer.due_at)
        ).tuples():
            timers[instance_id].append((bpmn_id, due_at))
    summaries = []
    for instance, definition in rows:
        events: list[str] = []
        if instance.status == InstanceStatus.RUNNING and engine.receivers.of(definition).catches:
            events = waiting_events(engine.store.deserialise(instance))
        summaries.append(InstanceSummary(
            instance.id, definition.process_key, definition.version, instance.business_key, instance.status,
            instance.created_at, instance.completed_at, tasks.get(instance.id, []), timers.get(instance.id, []),
            events,
        ))
    return summaries

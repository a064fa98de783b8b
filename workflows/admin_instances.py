"""What the admin pages show of the engine: process versions, instances (searched and one in full),
incidents and open tasks. Read-only queries; deploying, retrying and skipping are the engine's own
operations (``WorkflowEngine.deploy``, ``retry_incident``, ``skip_incident``), each audited there.

Who may see this is the caller's rule (the admin area lets administrators only).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from engine import HumanTask, ProcessDefinition, ProcessInstance, Timer, WorkflowEngine
from engine.instance_position import InstancePosition, instance_position
from engine.models import AuditEntry, InstanceStatus, ServiceIncident, TaskStatus

from .models import Part, Problem

PAGE_SIZE = 30
T = TypeVar("T")
_LEDGER_NUMBER = re.compile(r"^\s*(\d{1,6})\s*[.．]\s*(\d{1,6})\s*$")
_ID = re.compile(r"^\s*#?(\d{1,12})\s*$")


@dataclass(frozen=True)
class VersionRow:
    """One deployed version of a process and how many running instances use it."""

    definition: ProcessDefinition
    running: int


@dataclass(frozen=True)
class ProcessRow:
    """A process key with its versions, newest first."""

    process_key: str
    name: str | None
    versions: list[VersionRow]


def process_versions(session: Session) -> list[ProcessRow]:
    """Every deployed process key with its versions and the running instances on each version."""
    running = dict(session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(ProcessInstance.definition_id)
    ).tuples().all())
    rows: dict[str, ProcessRow] = {}
    for definition in session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ):
        row = rows.setdefault(definition.process_key, ProcessRow(definition.process_key, definition.name, []))
        row.versions.append(VersionRow(definition, running.get(definition.id, 0)))
    return list(rows.values())


@dataclass(frozen=True)
class InstanceFilter:
    """The instance search: every field optional; ``problem`` is a ledger number (3.2) or a problem id."""

    business_key: str = ""
    problem: str = ""
    status: str = ""
    process_key: str = ""


@dataclass(frozen=True)
class InstanceRow:
    """One instance in the search results, with its version and the problem it runs (if any)."""

    instance: ProcessInstance
    process_key: str
    version: int
    problem_id: int | None


@dataclass(frozen=True)
class Paged(Generic[T]):  # noqa: UP046  (Python 3.11 has no PEP 695)
    """One page of results and how many there are in all."""

    rows: list[T]
    total: int
    page: int
    pages: int


def search_instances(session: Session, query: InstanceFilter, page: int = 1) -> Paged[InstanceRow]:
    """Instances matching every given field, newest first, ``PAGE_SIZE`` a page."""
    stmt = (
        select(ProcessInstance, ProcessDefinition.process_key, ProcessDefinition.version, Problem.id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Problem, Problem.instance_id == ProcessInstance.id)
    )
    if query.business_key.strip():
        stmt = stmt.where(ProcessInstance.business_key.contains(query.business_key.strip(), autoescape=True))
    if query.process_key.strip():
        stmt = stmt.where(ProcessDefinition.process_key == query.process_key.strip())
    if query.status in InstanceStatus.__members__.values():
        stmt = stmt.where(ProcessInstance.status == InstanceStatus(query.status))
    if query.problem.strip():
        stmt = _problem_condition(stmt, query.problem)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    result = session.execute(stmt.order_by(ProcessInstance.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    rows = [InstanceRow(instance, key, version, problem_id) for instance, key, version, problem_id in result.tuples()]
    return Paged(rows, total, page, pages)


def _problem_condition(stmt: Select[Any], text: str) -> Select[Any]:
    number = _LEDGER_NUMBER.match(text)
    if number:
        part, ordinal = int(number.group(1)), int(number.group(2))
        ids = select(Problem.id).join(Part, Part.id == Problem.part_id).where(
            Part.ordinal == part, Problem.ordinal == ordinal)
        return stmt.where(Problem.id.in_(ids))
    problem_id = _ID.match(text)
    if problem_id:
        return stmt.where(Problem.id == int(problem_id.group(1)))
    return stmt.where(false())  # neither a ledger number nor an id matches nothing


@dataclass(frozen=True)
class InstanceDetail:
    """One instance in full: version, newest version of its process, data, tasks, timers, audit, position."""

    instance: ProcessInstance
    definition: ProcessDefinition
    latest_version: int
    problem_id: int | None
    data_json: str
    tasks: list[HumanTask]
    timers: list[Timer]
    audit: list[AuditEntry]
    position: InstancePosition | None


def instance_detail(session: Session, engine: WorkflowEngine, instance_id: int) -> InstanceDetail | None:
    """Everything the admin's instance page shows; None when the instance does not exist."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return None
    definition = instance.definition
    latest = session.scalar(select(func.max(ProcessDefinition.version))
                            .where(ProcessDefinition.process_key == definition.process_key))
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                 .order_by(HumanTask.id)))
    timers = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)
                                  .order_by(Timer.due_at, Timer.id)))
    audit = list(session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                 .order_by(AuditEntry.at, AuditEntry.id)))
    return InstanceDetail(
        instance=instance, definition=definition, latest_version=latest or definition.version,
        problem_id=session.scalar(select(Problem.id).where(Problem.instance_id == instance_id)),
        data_json=json.dumps(instance.data or {}, ensure_ascii=False, indent=2, sort_keys=True, default=str),
        tasks=tasks, timers=timers, audit=audit,
        position=instance_position(engine, session, instance_id),
    )


def instance_diagram_xml(session: Session, instance_id: int) -> str | None:
    """The BPMN XML of the version the instance runs (None when there is no such instance)."""
    return session.scalar(
        select(ProcessDefinition.bpmn_xml)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == instance_id)
    )


@dataclass(frozen=True)
class IncidentRow:
    """A failed timer with its instance."""

    timer: Timer
    instance: ProcessInstance


@dataclass(frozen=True)
class ServiceIncidentRow:
    """A failed service task with its instance."""

    incident: ServiceIncident
    instance: ProcessInstance


def service_incident_rows(session: Session, engine: WorkflowEngine) -> list[ServiceIncidentRow]:
    """The engine's unresolved service incidents, each with its instance, the oldest first."""
    incidents = engine.service_incidents(session)
    instances = {i.id: i for i in session.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_({i.instance_id for i in incidents})))}
    return [ServiceIncidentRow(incident, instances[incident.instance_id]) for incident in incidents]


def incident_rows(session: Session, engine: WorkflowEngine) -> list[IncidentRow]:
    """The engine's incidents (timers that gave up), each with its instance."""
    timers = engine.incidents(session)
    instances = {i.id: i for i in session.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_({t.instance_id for t in timers})))}
    return [IncidentRow(timer, instances[timer.instance_id]) for timer in timers]


@dataclass(frozen=True)
class TaskFilter:
    """The open-task search: business key, step (name or id), holder (login) and unit (code)."""

    business_key: str = ""
    step: str = ""
    holder: str = ""
    unit: str = ""


def open_tasks(session: Session, query: TaskFilter, page: int = 1) -> Paged[HumanTask]:
    """Open tasks matching every given field, oldest first, ``PAGE_SIZE`` a page."""
    stmt = select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)
    if query.business_key.strip():
        stmt = stmt.where(HumanTask.business_key.contains(query.business_key.strip(), autoescape=True))
    if query.step.strip():
        step = query.step.strip()
        stmt = stmt.where(or_(HumanTask.name.contains(step, autoescape=True), HumanTask.bpmn_id == step))
    if query.holder.strip():
        holder = query.holder.strip()
        stmt = stmt.where(or_(HumanTask.assignee == holder, HumanTask.candidate_user == holder))
    if query.unit.strip():
        stmt = stmt.where(HumanTask.candidate_unit == query.unit.strip())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(session.scalars(stmt.order_by(HumanTask.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Paged(rows, total, page, pages)

"""What a problem's page shows: the problem with its owners, derived status and flag, its measures with
their deadline history, progress and evidence, the tasks of its lifecycle, the engine's audit trail of
its instance, and where the instance stands on the diagram version it runs.

The measures' rows are the ledger's own (``workflows.ledger.ledger_rows``: status, warning colours,
deadline history and reopening in the ledger's wording), read for the problem's round and filtered to
the measures the viewer may see (``workflows.ledger_scope``). The caller has checked that the viewer
may see the problem (``can_view_problem``). A constant number of queries, whatever the history's length.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine import Actor, HumanTask, ProcessDefinition, ProcessInstance, WorkflowEngine
from engine.instance_position import InstancePosition, instance_position
from engine.models import AuditEntry

from .history import ShownValue, people_names, shown_values
from .item_keys import measure_id
from .ledger import LedgerRow, ledger_rows
from .ledger_scope import visible_measure_ids
from .models import Evidence, InspectionRound, Measure, Part, Problem
from .task_view import step_names

SYSTEM_ACTOR = "system"  # the engine's own actor (timers, incidents)


@dataclass(frozen=True)
class MeasureItem:
    """One measure as the page shows it: its ledger row and its evidence files, oldest first."""

    row: LedgerRow
    evidence: list[Evidence]


@dataclass(frozen=True)
class TaskItem:
    """One task of the lifecycle (open, done or cancelled), with the names of who holds or did it."""

    task: HumanTask
    measure_number: str | None
    holder_name: str | None
    completed_by_name: str | None


@dataclass(frozen=True)
class AuditItem:
    """One engine audit entry of the instance: when, who, what, on which step and measure, with what."""

    entry: AuditEntry
    actor_name: str
    step_zh: str
    step_en: str
    measure_number: str | None
    values: list[ShownValue] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """The reason given with a reassignment, an amendment, a flag or an unflag, if any."""
        reason = (self.entry.detail or {}).get("reason") if self.entry.action != "complete" else None
        return reason if isinstance(reason, str) and reason.strip() else None

    @property
    def detail_text(self) -> str | None:
        """A flag's 督办时限, a started instance's version, a reassignment's new holder: as plain words."""
        detail = self.entry.detail or {}
        if self.entry.action in ("problem_flagged", "problem_unflagged") and isinstance(detail.get("deadline"), str):
            return str(detail["deadline"])
        if self.entry.action == "start" and detail.get("version") is not None:
            return f"v{detail['version']}"
        if self.entry.action == "reassign" and detail.get("to"):
            login = str(detail["to"])
            return self.names.get(login, login)
        return None


@dataclass(frozen=True)
class DiagramVersion:
    """The deployed version of the diagram the instance runs."""

    process_key: str
    version: int
    source_name: str
    deployed_at: datetime
    latest_version: int


@dataclass(frozen=True)
class ProblemPage:
    """Everything the problem page renders."""

    problem: Problem
    round: InspectionRound
    number: str
    first: LedgerRow | None  # the problem's facts (status, colours, flag, reopening) as the ledger has them
    measures: list[MeasureItem]
    hidden_measures: int  # measures of the problem the viewer may not see
    problem_evidence: list[Evidence]  # files of problem-level steps (e.g. a long-term item's report)
    tasks: list[TaskItem]
    audit: list[AuditItem]
    position: InstancePosition | None
    diagram: DiagramVersion | None


def problem_page(session: Session, engine: WorkflowEngine, problem_id: int, actor: Actor, *, now: datetime,
                 window_days: int) -> ProblemPage | None:
    """The page of problem ``problem_id`` as ``actor`` sees it (None when there is no such problem)."""
    problem = session.scalar(
        select(Problem).where(Problem.id == problem_id)
        .options(joinedload(Problem.part).joinedload(Part.round),
                 selectinload(Problem.measures).selectinload(Measure.responsible_units))
    )
    if problem is None:
        return None
    round_ = problem.part.round
    rows = ledger_rows(session, None, now=now, window_days=window_days, problems=[problem])
    visible = visible_measure_ids(session, actor, [problem.id])
    numbers = {measure.item_key: f"{problem.part.ordinal}.{problem.ordinal}.{measure.ordinal}"
               for measure in problem.measures}
    instance_id = problem.instance_id
    tasks: list[HumanTask] = []
    audits: list[AuditEntry] = []
    if instance_id is not None:
        tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                     .order_by(HumanTask.id)))
        audits = list(session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                      .order_by(AuditEntry.at, AuditEntry.id)))
    evidence = _evidence(session, problem, [t.id for t in tasks])
    names = people_names(session, _logins(tasks, audits))
    by_measure: dict[int | None, list[Evidence]] = defaultdict(list)
    task_measure = {t.id: measure_id(t.item_key) for t in tasks}
    for file in evidence:
        owner = file.measure_id if file.measure_id is not None else task_measure.get(file.task_id or 0)
        by_measure[owner].append(file)
    position = instance_position(engine, session, instance_id) if instance_id is not None else None
    task_by_id = {t.id: t for t in tasks}
    return ProblemPage(
        problem=problem, round=round_, number=f"{problem.part.ordinal}.{problem.ordinal}",
        first=rows[0] if rows else None,
        measures=[MeasureItem(row, by_measure.get(row.measure_id, [])) for row in rows if row.measure_id in visible],
        hidden_measures=sum(row.measure_id not in visible for row in rows),
        problem_evidence=by_measure.get(None, []),
        tasks=[_task_item(t, numbers, names) for t in tasks if _visible_task(t, visible)],
        audit=_audit_items([a for a in audits if _visible_entry(a, task_by_id, visible)], task_by_id, numbers,
                           names, position),
        position=position,
        diagram=_diagram_version(session, instance_id) if instance_id is not None else None,
    )


def problem_diagram_xml(session: Session, problem_id: int) -> str | None:
    """The BPMN XML of the diagram version the problem's instance runs (None without an instance)."""
    return session.scalar(
        select(ProcessDefinition.bpmn_xml)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .join(Problem, Problem.instance_id == ProcessInstance.id)
        .where(Problem.id == problem_id)
    )


def _evidence(session: Session, problem: Problem, task_ids: list[int]) -> list[Evidence]:
    """The problem's files: attached to its measures or submitted with its tasks, oldest first."""
    measure_ids = [m.id for m in problem.measures]
    if not measure_ids and not task_ids:
        return []
    clauses = []
    if measure_ids:
        clauses.append(Evidence.measure_id.in_(measure_ids))
    if task_ids:
        clauses.append(Evidence.task_id.in_(task_ids))
    return list(session.scalars(select(Evidence).where(or_(*clauses)).order_by(Evidence.uploaded_at, Evidence.id)))


def _visible_task(task: HumanTask, visible: set[int]) -> bool:
    """A task about a measure shows only with its measure; a problem-level task (核实, 回头看) always."""
    about = measure_id(task.item_key)
    return about is None or about in visible


def _visible_entry(entry: AuditEntry, tasks: dict[int, HumanTask], visible: set[int]) -> bool:
    """An audit entry about a task shows with that task (its submitted data is the measure's)."""
    task = tasks.get(entry.task_id) if entry.task_id is not None else None
    return task is None or _visible_task(task, visible)


def _task_item(task: HumanTask, numbers: dict[str, str], names: dict[str, str]) -> TaskItem:
    return TaskItem(
        task=task, measure_number=numbers.get(task.item_key or ""),
        holder_name=names.get(task.assignee, task.assignee) if task.assignee else None,
        completed_by_name=names.get(task.completed_by, task.completed_by) if task.completed_by else None,
    )


def _audit_items(audits: list[AuditEntry], tasks: dict[int, HumanTask], numbers: dict[str, str],
                 names: dict[str, str], position: InstancePosition | None) -> list[AuditItem]:
    step_by_id = {step.bpmn_id: step.name for step in position.steps} if position is not None else {}
    items = []
    for entry in audits:
        task = tasks.get(entry.task_id) if entry.task_id is not None else None
        name = task.name if task is not None else step_by_id.get(entry.bpmn_id or "", "")
        zh, en = step_names(name) if name else ("", "")
        values = shown_values(task.form_key, task.data or entry.detail or {}) \
            if entry.action == "complete" and task is not None else []
        items.append(AuditItem(
            entry=entry, actor_name=names.get(entry.actor, entry.actor), step_zh=zh, step_en=en,
            measure_number=numbers.get(task.item_key or "") if task is not None else None, values=values,
            names=names,
        ))
    return items


def _diagram_version(session: Session, instance_id: int) -> DiagramVersion | None:
    found = session.execute(
        select(ProcessDefinition.process_key, ProcessDefinition.version, ProcessDefinition.source_name,
               ProcessDefinition.deployed_at)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == instance_id)
    ).tuples().first()
    if found is None:
        return None
    key, version, source, deployed_at = found
    latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == key))
    return DiagramVersion(key, version, source, deployed_at, latest or version)


def _logins(tasks: list[HumanTask], audits: list[AuditEntry]) -> set[str]:
    logins = {login for t in tasks for login in (t.assignee, t.completed_by) if login}
    logins |= {a.actor for a in audits}
    for audit in audits:
        if audit.action == "reassign" and audit.detail:
            logins.update(str(audit.detail[k]) for k in ("from", "to") if audit.detail.get(k))
    return logins

"""What the JSON API's resource listings read: rounds with their counters, the ledger's problems and
measures as the viewer may see them, process instances and definitions.

Nothing here decides visibility on its own: problems and measures go through the ledger's filters
and ``workflows.ledger_scope`` (``ledger_page.view_measure_ids``, ``can_view_problem``,
``visible_measure_ids``), the counters through ``ledger_page`` — so the API and the pages agree.
Listings are keyset pages by ascending id (``ids_after``), which a client can follow while rows are
added; the ledger page's own order (part, problem ordinal) is kept inside each problem's rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine import Actor, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskStatus

from .errors import NotFoundError
from .ledger import LedgerRow, ledger_rows
from .ledger_page import LedgerFilters, ledger_page, view_measure_ids
from .ledger_scope import can_view_problem, sees_everything, visible_measure_ids
from .models import InspectionRound, Measure, Part, Problem
from .report import ReportStats


@dataclass(frozen=True)
class RoundCounters:
    """A round as the viewer's ledger counts it (the published report's statistics sentence)."""

    round: InspectionRound
    stats: ReportStats
    matching: int  # problems the viewer sees, withheld ones included


@dataclass(frozen=True)
class ProblemRows:
    """One problem and the ledger rows (measures) of it the viewer is shown."""

    problem: Problem
    rows: list[LedgerRow]


def round_counters(session: Session, actor: Actor, round_id: int, *, now: datetime,
                   window_days: int) -> RoundCounters:
    """The round and its counters over the rows ``actor`` may see (``NotFoundError`` if there is no
    such round): the numbers the ledger page shows above its table."""
    if session.get(InspectionRound, round_id) is None:
        raise NotFoundError(f"no round {round_id}")
    page = ledger_page(session, actor, LedgerFilters(round_id=round_id), now=now, window_days=window_days,
                       page_size=1)
    assert page.round is not None
    return RoundCounters(page.round, page.stats, page.matching)


def ledger_problem_ids(session: Session, actor: Actor, filters: LedgerFilters, *, now: datetime,
                       window_days: int) -> tuple[list[int], set[int]]:
    """The ids of the problems of the filtered ledger view ``actor`` is shown, ascending, and the ids of
    the rows shown. Without a round the newest round is meant, as on the page. The view's rows are
    matched to their problems here rather than by an ``IN`` of every row id (a round may hold 30,000)."""
    round_, measure_ids = view_measure_ids(session, actor, filters, now=now, window_days=window_days)
    if round_ is None or not measure_ids:
        return [], set()
    pairs = session.execute(select(Measure.id, Measure.problem_id).join(Problem, Measure.problem_id == Problem.id)
                            .join(Part, Problem.part_id == Part.id).where(Part.round_id == round_.id)).tuples()
    return sorted({problem_id for measure_id, problem_id in pairs if measure_id in measure_ids}), measure_ids


def after_cursor(ids: list[int], after: int | None, size: int) -> list[int]:
    """The first ``size`` of the ascending ``ids`` past ``after`` (a keyset page's candidates)."""
    start = 0 if after is None else bisect_right(ids, after)
    return ids[start:start + size]


def problem_rows(session: Session, problems: Sequence[Problem], shown: set[int] | None, *, now: datetime,
                 window_days: int) -> list[ProblemRows]:
    """``problems`` (in the given order) with their ledger rows; only the rows in ``shown`` (None: all)."""
    if not problems:
        return []
    ids = [p.id for p in problems]
    loaded = {p.id: p for p in session.scalars(
        select(Problem).where(Problem.id.in_(ids))
        .options(joinedload(Problem.part), selectinload(Problem.measures).selectinload(Measure.responsible_units)))}
    ordered = [loaded[i] for i in ids]
    rows = ledger_rows(session, None, now=now, window_days=window_days, problems=ordered)
    by_problem: dict[int, list[LedgerRow]] = {i: [] for i in ids}
    for row in rows:
        if shown is None or row.measure_id in shown:
            by_problem[row.problem_id].append(row)
    return [ProblemRows(p, by_problem[p.id]) for p in ordered]


def visible_problem(session: Session, actor: Actor, problem_id: int, *, now: datetime,
                    window_days: int) -> ProblemRows:
    """One problem with the rows ``actor`` may see; ``NotFoundError`` when it does not exist or is not
    theirs to see (the same answer, so its existence is not given away)."""
    problem = session.get(Problem, problem_id)
    if problem is None or not can_view_problem(session, actor, problem_id):
        raise NotFoundError(f"no problem {problem_id}")
    shown = visible_measure_ids(session, actor, [problem_id])
    return problem_rows(session, [problem], shown, now=now, window_days=window_days)[0]


def visible_measure(session: Session, actor: Actor, measure_id: int, *, now: datetime,
                    window_days: int) -> LedgerRow:
    """One measure's ledger row, if ``actor`` may see it (``NotFoundError`` otherwise)."""
    measure = session.get(Measure, measure_id)
    if measure is None or measure_id not in visible_measure_ids(session, actor, [measure.problem_id]):
        raise NotFoundError(f"no measure {measure_id}")
    found = problem_rows(session, [measure.problem], {measure_id}, now=now, window_days=window_days)[0]
    return found.rows[0]


def can_supervise_instances(actor: Actor) -> bool:
    """Instances and diagrams are supervision's and administrators' (the same people who see every row)."""
    return sees_everything(actor)


def instance_query(*, business_key: str | None = None, status: InstanceStatus | None = None,
                   process: str | None = None) -> Select[tuple[ProcessInstance]]:
    """Process instances, filtered by business key (exact), status and process key."""
    query = select(ProcessInstance).options(joinedload(ProcessInstance.definition))
    where: list[ColumnElement[bool]] = []
    if business_key:
        where.append(ProcessInstance.business_key == business_key)
    if status is not None:
        where.append(ProcessInstance.status == status)
    if process:
        where.append(ProcessInstance.definition_id.in_(
            select(ProcessDefinition.id).where(ProcessDefinition.process_key == process)))
    return query.where(*where)


def open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """The instance's open tasks, oldest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)))


def definition_query() -> Select[tuple[ProcessDefinition]]:
    """Every deployed version of every process (page it by id)."""
    return select(ProcessDefinition)

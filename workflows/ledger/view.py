"""The ledger (台账): every problem and measure of a round with owners, deadlines and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import DeadlineSource, Evidence, InspectionRound, Measure, Problem
from ..models import ProblemStatus as S
from ..plans import round_problems
from ..status import ProblemState, derive


@dataclass(frozen=True)
class DeadlineStep:
    """One change of a measure's deadline as the ledger shows it."""

    old: date | None
    new: date | None
    source: DeadlineSource
    reason: str
    by: str  # the person's name (their login when unknown)
    at: datetime


@dataclass(frozen=True)
class Reopening:
    """The last time a problem went back to rectification: a rebound found by 回头看 or a failed verification."""

    rebound: bool  # True: 反弹重启 (look-back); False: 核实未通过
    reason: str
    by: str
    at: datetime | None
    times: int  # how many times the problem was reopened in all


@dataclass(frozen=True)
class LedgerRow:
    """One measure of the ledger, with its problem's facts repeated as offices print them."""

    number: str
    part_ordinal: int
    part: str
    problem_id: int
    problem_ordinal: int
    problem: str
    problem_status: S
    measure_id: int
    measure_ordinal: int
    measure: str
    responsible_leader: str
    lead_unit: str
    responsible_units: str
    deadline: date | None
    deadline_text: str
    status: S
    progress: str
    evidence_count: int
    updated_at: datetime | None
    long_term: bool
    publishable: bool
    # The deadline the plan first gave (before any change), and every change since, oldest first.
    original_deadline: date | None = None
    deadline_history: tuple[DeadlineStep, ...] = ()
    # The problem's last reopening (反弹重启 after a look-back, or a failed verification), if any.
    reopen: Reopening | None = None


def ledger_rows(session: Session, round_: InspectionRound) -> list[LedgerRow]:
    """The round's ledger in document order."""
    problems = round_problems(round_)
    states = derive(session, problems)
    evidence = _evidence_counts(session, [m.id for p in problems for m in p.measures])
    rows = []
    for problem in problems:
        state: ProblemState = states[problem.id]
        for measure in problem.measures:
            rows.append(_row(problem, measure, state, evidence.get(measure.id, 0)))
    return rows


def _row(problem: Problem, measure: Measure, state: ProblemState, evidence: int) -> LedgerRow:
    leader = measure.responsible_leader or problem.responsible_leader
    lead_unit = measure.lead_unit or problem.lead_unit
    return LedgerRow(
        number=f"{problem.part.ordinal}.{problem.ordinal}.{measure.ordinal}",
        part_ordinal=problem.part.ordinal,
        part=problem.part.title,
        problem_id=problem.id,
        problem_ordinal=problem.ordinal,
        problem=problem.title,
        problem_status=state.status,
        measure_id=measure.id,
        measure_ordinal=measure.ordinal,
        measure=measure.text,
        responsible_leader=leader.name if leader else "",
        lead_unit=lead_unit.name if lead_unit else "",
        responsible_units="、".join(u.name for u in measure.responsible_units),
        deadline=measure.deadline,
        deadline_text=measure.deadline_text or (measure.deadline.isoformat() if measure.deadline else ""),
        status=state.measures.get(measure.id, S.NOT_STARTED),
        progress=measure.progress or "",
        evidence_count=evidence,
        updated_at=measure.updated_at,
        long_term=problem.long_term,
        publishable=problem.publishable,
    )


def _evidence_counts(session: Session, measure_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for start in range(0, len(measure_ids), 500):
        chunk = measure_ids[start:start + 500]
        rows = session.execute(
            select(Evidence.measure_id, func.count()).where(Evidence.measure_id.in_(chunk))
            .group_by(Evidence.measure_id)
        ).tuples().all()
        counts.update((measure_id, count) for measure_id, count in rows if measure_id is not None)
    return counts

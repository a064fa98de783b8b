"""Every inspection round at a glance: its size, how far its rectification has come, its open work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import InspectionRound, Part, Problem, ProblemStatus
from .plans import round_problems
from .status import derive

# A problem in one of these statuses has been closed (销号), whatever came after.
CLOSED = frozenset({ProblemStatus.CLOSED, ProblemStatus.LOOK_BACK, ProblemStatus.CONSOLIDATED})


@dataclass(frozen=True)
class RoundOverview:
    """One round's counts: problems and measures, measures done, problems closed, open tasks."""

    round: InspectionRound
    problems: int
    measures: int
    measures_done: int
    problems_closed: int
    open_tasks: int


def round_overviews(session: Session) -> list[RoundOverview]:
    """Every round, newest first, with its counts (statuses derived as the ledger derives them)."""
    rounds = session.scalars(
        select(InspectionRound).order_by(InspectionRound.id.desc())
        .options(selectinload(InspectionRound.parts).selectinload(Part.problems).selectinload(Problem.measures))
    ).all()
    overviews = []
    for round_ in rounds:
        problems = round_problems(round_)
        states = derive(session, problems)
        overviews.append(RoundOverview(
            round=round_,
            problems=len(problems),
            measures=sum(len(p.measures) for p in problems),
            measures_done=sum(status == ProblemStatus.DONE for s in states.values() for status in s.measures.values()),
            problems_closed=sum(s.status in CLOSED for s in states.values()),
            open_tasks=sum(len(s.open_tasks) for s in states.values()),
        ))
    return overviews

"""Rectification plans: rounds, parts, problems and measures, and launching their lifecycles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, WorkflowEngine
from engine.models import column_length

from .deadlines import NO_DEADLINE, deadline_iso
from .errors import NotFoundError, ValidationError
from .models import InspectionRound, Measure, Part, Person, Problem, RoundKind, Unit
from .text_checks import check_json_text, check_text

LIFECYCLE_PROCESS = "rectification"


# The longest text each short column holds, read from the models so that they cannot drift;
# longer is an error, not a cut.
MAX_ROUND_TITLE = column_length(InspectionRound, "title")
MAX_GROUP = column_length(InspectionRound, "inspecting_group")
MAX_SIGNATORY = column_length(InspectionRound, "signatory")
MAX_SOURCE_NAME = column_length(InspectionRound, "source_name")
MAX_DEADLINE_TEXT = column_length(Measure, "deadline_text")
MAX_UNIT_NAME = column_length(Unit, "name")


def create_round(
    session: Session,
    *,
    title: str,
    at: datetime,
    inspecting_group: str | None = None,
    inspected_unit: Unit | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    feedback_date: date | None = None,
    report_date: date | None = None,
    signatory: str | None = None,
    contacts: Mapping[str, str] | None = None,
    sections: Mapping[str, Any] | None = None,
    source_name: str | None = None,
    kind: RoundKind = RoundKind.LOCAL_INSPECTION,
) -> InspectionRound:
    """Add an inspection round (巡察轮次) with its feedback metadata."""
    if not title.strip():
        raise ValidationError("an inspection round needs a title")
    check_text(title, "the round title", MAX_ROUND_TITLE)
    check_text(inspecting_group, "the inspecting group", MAX_GROUP)
    check_text(signatory, "the signatory", MAX_SIGNATORY)
    check_text(source_name, "the source file name", MAX_SOURCE_NAME)
    check_json_text(dict(contacts or {}), "a contact of the round")
    check_json_text(dict(sections or {}), "a section of the round")
    if period_start and period_end and period_end < period_start:
        raise ValidationError("the inspection period ends before it starts")
    round_ = InspectionRound(
        title=title.strip(),
        inspecting_group=inspecting_group,
        inspected_unit=inspected_unit,
        period_start=period_start,
        period_end=period_end,
        feedback_date=feedback_date,
        report_date=report_date,
        signatory=signatory,
        contacts=dict(contacts or {}),
        sections=dict(sections or {}),
        source_name=source_name,
        created_at=at,
        kind=kind,
    )
    session.add(round_)
    session.flush()
    return round_


def add_part(session: Session, round_: InspectionRound, title: str) -> Part:
    """Append a part (方面) to a round."""
    if not title.strip():
        raise ValidationError("a part needs a title")
    check_text(title, f"part {len(round_.parts) + 1}'s title")
    part = Part(round=round_, ordinal=len(round_.parts) + 1, title=title.strip())
    session.add(part)
    session.flush()
    return part


def add_problem(
    session: Session,
    part: Part,
    title: str,
    *,
    long_term: bool = False,
    lookback_months: int = 6,
    report_interval_months: int = 1,
    leader: Person | None = None,
    lead_unit: Unit | None = None,
    publishable: bool = True,
) -> Problem:
    """Append a problem (问题) to a part."""
    if not title.strip():
        raise ValidationError("a problem needs a title")
    check_text(title, f"problem {part.ordinal}.{len(part.problems) + 1}'s title")
    if not 1 <= lookback_months <= 36:
        raise ValidationError("the look-back delay must be between 1 and 36 months")
    if not 1 <= report_interval_months <= 12:
        raise ValidationError("the report interval must be between 1 and 12 months")
    problem = Problem(
        part=part,
        ordinal=len(part.problems) + 1,
        title=title.strip(),
        long_term=long_term,
        lookback_months=lookback_months,
        report_interval_months=report_interval_months,
        responsible_leader=leader,
        lead_unit=lead_unit,
        publishable=publishable,
    )
    session.add(problem)
    session.flush()
    return problem


def add_measure(
    session: Session,
    problem: Problem,
    text: str,
    *,
    deadline: date | None = None,
    deadline_text: str | None = None,
    leader: Person | None = None,
    lead_unit: Unit | None = None,
    units: Iterable[Unit] = (),
) -> Measure:
    """Append a measure (整改措施) to a problem."""
    if not text.strip():
        raise ValidationError("a measure needs its text")
    number = f"{problem.part.ordinal}.{problem.ordinal}.{len(problem.measures) + 1}"
    check_text(text, f"measure {number}'s text")
    check_text(deadline_text, f"measure {number}'s deadline text", MAX_DEADLINE_TEXT)
    measure = Measure(
        problem=problem,
        ordinal=len(problem.measures) + 1,
        text=text.strip(),
        deadline=deadline,
        deadline_text=deadline_text,
        responsible_leader=leader,
        lead_unit=lead_unit,
        responsible_units=list(units),
    )
    session.add(measure)
    session.flush()
    return measure


def get_round(session: Session, round_id: int) -> InspectionRound:
    """The round or NotFoundError."""
    round_ = session.get(InspectionRound, round_id)
    if round_ is None:
        raise NotFoundError(f"inspection round {round_id} does not exist")
    return round_


def round_problems(round_: InspectionRound) -> list[Problem]:
    """The round's problems in ledger order."""
    return [problem for part in round_.parts for problem in part.problems]


def start_data(problem: Problem) -> dict[str, Any]:
    """The data a problem's lifecycle instance starts with."""
    leader = problem.responsible_leader
    lead_unit = problem.lead_unit
    measures = []
    for measure in problem.measures:
        unit = measure.responsible_units[0] if measure.responsible_units else (measure.lead_unit or lead_unit)
        measure_leader = measure.responsible_leader or leader
        measures.append({
            "id": measure.id,
            "deadline": deadline_iso(measure.deadline) or NO_DEADLINE,
            "unit": unit.code if unit else None,
            "leader": measure_leader.login if measure_leader else None,
        })
    return {
        "problem": {
            "id": problem.id,
            "long_term": problem.long_term,
            "lead_unit": lead_unit.code if lead_unit else None,
            "leader": leader.login if leader else None,
        },
        "measures": measures,
        "lookback_delay": f"P{problem.lookback_months}M",
        "report_interval": f"P{problem.report_interval_months}M",
        "reopen_count": 0,
        "new_deadline": None,
    }


def launch(session: Session, engine: WorkflowEngine, round_: InspectionRound, actor: Actor) -> int:
    """Start the lifecycle of every problem of the round that has not started; returns how many."""
    started = 0
    for problem in round_problems(round_):
        if problem.instance_id is not None:
            continue
        if not problem.measures:
            raise ValidationError(f"problem {problem.part.ordinal}.{problem.ordinal} has no measures")
        instance = engine.start(session, LIFECYCLE_PROCESS, start_data(problem), actor=actor,
                                business_key=problem.item_key)
        problem.instance_id = instance.id
        started += 1
    session.flush()
    return started


def rounds(session: Session) -> list[InspectionRound]:
    """All rounds, newest first."""
    return list(session.scalars(select(InspectionRound).order_by(InspectionRound.id.desc())))

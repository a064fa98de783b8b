"""The inbox's filters: what a person may narrow the list by, as SQL, and the choices to offer.

A task belongs to a problem through its instance (``problem.instance_id``, indexed) and, for
measure steps, to a measure through its item key (``measure:<id>``, see ``workflows.item_keys``).
Filters that need the problem join it; the others stay on ``human_task`` and its indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from engine import HumanTask

from .item_keys import ItemKind
from .models import InspectionRound, Measure, Part, Problem, Unit
from .stages import Stage
from .warnings import WarningColour, yellow_until

SelectT = TypeVar("SelectT", bound=Select[Any])
MAX_SEARCH = 100  # characters of a search; longer text is cut, not refused

# The unit a task is offered to (its ``candidate_unit`` code) and the problem's lead unit.
TASK_UNIT = aliased(Unit, name="task_unit")
LEAD_UNIT = aliased(Unit, name="lead_unit")
_OTHER_MEASURE = aliased(Measure, name="other_measure")


@dataclass(frozen=True)
class InboxFilters:
    """What the list is narrowed to; ``None`` / ``False`` / ``""``: not filtered."""

    round_id: int | None = None
    part_id: int | None = None
    unit: str | None = None  # a unit code: the task's unit, else its problem's lead unit
    stage: str | None = None
    colour: WarningColour | None = None
    overdue: bool = False
    text: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return self != InboxFilters()

    @property
    def needs_problem(self) -> bool:
        """Whether the filters read the task's problem (and so need it joined)."""
        return bool(self.round_id or self.part_id or self.unit or self.colour or self.text)


def join_problem(stmt: SelectT) -> SelectT:
    """``stmt`` over ``human_task`` with the task's problem, part, measure and lead unit joined
    (outer joins: a task outside any problem keeps its row)."""
    measure_key = literal(f"{ItemKind.MEASURE}:", String) + cast(Measure.id, String)
    return (
        stmt.outerjoin(Problem, Problem.instance_id == HumanTask.instance_id)
        .outerjoin(Part, Part.id == Problem.part_id)
        # Only the problem's own measures are compared with the key: a seek on measure.problem_id.
        .outerjoin(Measure, and_(Measure.problem_id == Problem.id, HumanTask.item_key == measure_key))
        .outerjoin(LEAD_UNIT, LEAD_UNIT.id == Problem.lead_unit_id)
    )


def conditions(filters: InboxFilters, *, now: datetime, window_days: int) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``filters``; those reading the problem need :func:`join_problem`."""
    found: list[ColumnElement[bool]] = []
    if filters.round_id:
        found.append(Part.round_id == filters.round_id)
    if filters.part_id:
        found.append(Problem.part_id == filters.part_id)
    if filters.unit:
        found.append(func.coalesce(HumanTask.candidate_unit, LEAD_UNIT.code) == filters.unit)
    if filters.stage:
        found.append(HumanTask.stage == filters.stage)
    if filters.colour:
        found.append(colour_condition(filters.colour, now=now, window_days=window_days))
    if filters.overdue:
        # A deadline passed: overdue whatever the colour (a long-term item can be late too).
        found.append(and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now))
    if filters.text:
        found.append(_text_condition(filters.text[:MAX_SEARCH]))
    return found


def colour_condition(colour: WarningColour, *, now: datetime, window_days: int) -> ColumnElement[bool]:
    """Tasks whose deadline has ``colour`` at ``now`` (``workflows.warnings.warning_for`` in SQL)."""
    if colour is WarningColour.BLUE:
        return Problem.long_term.is_(True)
    short_term = or_(Problem.long_term.is_(False), Problem.long_term.is_(None))
    last_yellow = yellow_until(now, window_days)
    due = HumanTask.due_at
    if colour is WarningColour.RED:
        return and_(short_term, due.is_not(None), due < now)
    if colour is WarningColour.YELLOW:
        return and_(short_term, due.is_not(None), due >= now, due <= last_yellow)
    if colour is WarningColour.GREEN:
        return and_(short_term, or_(due.is_(None), due > last_yellow))
    return false()


def _text_condition(text: str) -> ColumnElement[bool]:
    """The problem's title or the task's measure contains ``text``; a problem step (no measure of
    its own) also matches any of its problem's measures."""
    other_measure_matches = exists(select(_OTHER_MEASURE.id).where(
        _OTHER_MEASURE.problem_id == Problem.id, _OTHER_MEASURE.text.icontains(text, autoescape=True)))
    return or_(
        Problem.title.icontains(text, autoescape=True),
        Measure.text.icontains(text, autoescape=True),
        and_(Measure.id.is_(None), other_measure_matches),
    )


# -- the choices a filter form offers ----------------------------------------------------------


@dataclass(frozen=True)
class PartChoice:
    """A part (方面) a person may filter by, with its round."""

    id: int
    ordinal: int
    title: str


@dataclass(frozen=True)
class RoundChoice:
    """A round and its parts, newest round first."""

    id: int
    title: str
    parts: list[PartChoice] = field(default_factory=list)


@dataclass(frozen=True)
class FilterChoices:
    """Everything the filter form lists: rounds with their parts, units and steps."""

    rounds: list[RoundChoice]
    units: list[tuple[str, str]]  # (code, name)
    stages: list[Stage]


def filter_choices(session: Session) -> FilterChoices:
    """The rounds (with parts), units and steps to offer: two queries whatever their number."""
    rounds: dict[int, RoundChoice] = {}
    rows = session.execute(
        select(InspectionRound.id, InspectionRound.title, Part.id, Part.ordinal, Part.title)
        .outerjoin(Part, Part.round_id == InspectionRound.id)
        .order_by(InspectionRound.id.desc(), Part.ordinal)
    ).tuples()
    for round_id, round_title, part_id, ordinal, part_title in rows:
        choice = rounds.setdefault(round_id, RoundChoice(round_id, round_title))
        if part_id is not None:
            choice.parts.append(PartChoice(part_id, ordinal, part_title))
    units = list(session.execute(select(Unit.code, Unit.name).order_by(Unit.code)).tuples())
    return FilterChoices(list(rounds.values()), units, list(Stage))


"""The dashboard's figures (统计): one round as one person may see it.

* completion by part and by unit: problems and measures done of the total, and the rate;
* open measures by warning colour (red = overdue, yellow = due soon, green, blue = long-term);
* problems by status, and the problems that are red or yellow;
* problems closed (销号) this month, and closures per week or month since the round began.

Statuses and colours come from the ledger's own rows (``workflows.ledger.ledger_rows``): the same
derivation (``workflows.status``) and the same warning rules (``workflows.warnings``), so a figure
and the filtered ledger behind it cannot disagree. Done, as the published report counts it
(``workflows.report.model``): a problem is done when it is closed or all its measures are done; a
measure is done when its status is 已完成 or its problem has been closed.

A measure belongs to its responsible units and to its lead unit (its problem's when it has none): the
ledger's unit filter (``workflows.ledger_page``), so a unit's figures are what its filtered ledger
shows. A measure of two units counts for both, so the units' totals may add up to more than the round's.

Closures are the engine's ``problem_closed`` milestones (``process_event``, thrown when verification
passes or a long-term problem is closed): a problem counts once in each week or month it was closed,
so one reopened and closed again counts again. Months and weeks are those of ``zone`` (the display
time zone); weeks start on Monday.

Leaders see what ``workflows.ledger_scope`` lets them see; supervision and administrators see all.
A constant number of queries whatever the round's size (a few more per 500 problems).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine import Actor, ProcessEvent

from .errors import Message, NotFoundError
from .ledger import LedgerRow, ledger_rows
from .ledger_scope import measure_scope, problem_scope, sees_everything
from .models import InspectionRound, Measure, Part, Problem, Unit
from .models import ProblemStatus as S
from .warnings import CLOSED, WarningColour

CLOSURE_EVENT = "problem_closed"
# Up to this many weeks since the round began the trend is weekly; after that, monthly.
WEEKLY_UP_TO = 13
# The monthly trend shows at most the latest this many months.
MAX_MONTHS = 36
COLOURS = (WarningColour.RED, WarningColour.YELLOW, WarningColour.GREEN, WarningColour.BLUE)


@dataclass(frozen=True)
class RoundChoice:
    """A round the person may pick."""

    id: int
    title: str


@dataclass
class Tally:
    """Counts over a group of rows: the whole round, one part or one unit.

    ``key`` is what the ledger filters by: a part's id, a unit's code ("" for the whole round).
    ``open_by_colour`` counts the measures still to do by their warning colour.
    """

    key: str
    label: str
    problems: int = 0
    problems_done: int = 0
    measures: int = 0
    measures_done: int = 0
    open_by_colour: dict[WarningColour, int] = field(default_factory=lambda: dict.fromkeys(COLOURS, 0))

    @property
    def rate(self) -> int:
        """Problems done as a rounded percentage (the published report's 整改完成率)."""
        return round(self.problems_done * 100 / self.problems) if self.problems else 0

    @property
    def measure_rate(self) -> int:
        """Measures done as a rounded percentage."""
        return round(self.measures_done * 100 / self.measures) if self.measures else 0

    @property
    def overdue(self) -> int:
        """Open measures past their deadline (red)."""
        return self.open_by_colour[WarningColour.RED]

    @property
    def due_soon(self) -> int:
        """Open measures inside the warning window (yellow)."""
        return self.open_by_colour[WarningColour.YELLOW]


@dataclass(frozen=True)
class ClosurePeriod:
    """Problems closed in one week (starting on ``start``, a Monday) or one month (``start`` its 1st)."""

    start: date
    closed: int


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard shows for one round."""

    round: RoundChoice
    rounds: list[RoundChoice]
    total: Tally
    parts: list[Tally]
    units: list[Tally]
    statuses: list[tuple[S, int]]  # problems by status, in the statuses' order, none left at zero
    problem_colours: dict[WarningColour, int]  # problems by their own warning colour (closed: none)
    closed_this_month: int
    trend_by: str  # "week" or "month"
    trend: list[ClosurePeriod]
    today: date  # in the display zone


def visible_rounds(session: Session, actor: Actor) -> list[RoundChoice]:
    """The rounds ``actor`` sees at least one problem of, newest first (supervision and admin: all)."""
    query = select(InspectionRound.id, InspectionRound.title).order_by(InspectionRound.id.desc())
    scope = problem_scope(actor)
    if scope is not None:
        query = query.where(InspectionRound.id.in_(
            select(Part.round_id).join(Problem, Problem.part_id == Part.id).where(scope)))
    return [RoundChoice(id_, title) for id_, title in session.execute(query).tuples()]


def dashboard_figures(session: Session, actor: Actor, round_id: int | None, *, now: datetime, zone: tzinfo,
                      window_days: int) -> DashboardFigures | None:
    """The figures of round ``round_id`` (default: the newest ``actor`` sees) at ``now``, as ``actor``
    may see them; None when ``actor`` sees no round at all.

    Raises ``NotFoundError`` for a round that does not exist or that ``actor`` sees nothing of.
    """
    rounds = visible_rounds(session, actor)
    if round_id is None:
        if not rounds:
            return None
        round_id = rounds[0].id
    chosen = next((r for r in rounds if r.id == round_id), None)
    if chosen is None:
        raise NotFoundError(Message("dashboard.round_not_found", "No such inspection round: {id}", {"id": round_id}))
    round_ = _load_round(session, round_id)
    rows = ledger_rows(session, round_, now=now, window_days=window_days)
    rows = _visible(session, actor, round_id, rows)
    measures = {m.id: m for part in round_.parts for p in part.problems for m in p.measures}
    today = now.astimezone(zone).date()
    closures = _closures(session, round_id, {row.problem_id for row in rows}, zone)
    trend_by, trend = _trend(closures, round_.created_at.astimezone(zone).date(), today)
    this_month = today.replace(day=1)
    return DashboardFigures(
        round=chosen,
        rounds=rounds,
        total=_tally("", "", rows),
        parts=_by_part(round_, rows),
        units=_by_unit(rows, measures),
        statuses=_statuses(rows),
        problem_colours=_problem_colours(rows),
        closed_this_month=len({problem for problem, day in closures if day >= this_month}),
        trend_by=trend_by,
        trend=trend,
        today=today,
    )


def _load_round(session: Session, round_id: int) -> InspectionRound:
    """The round with its parts, problems, measures and their units, in a fixed number of queries."""
    query = (select(InspectionRound).where(InspectionRound.id == round_id)
             .options(selectinload(InspectionRound.parts).selectinload(Part.problems)
                      .selectinload(Problem.measures).selectinload(Measure.responsible_units)))
    return session.scalars(query).one()


def _visible(session: Session, actor: Actor, round_id: int, rows: list[LedgerRow]) -> list[LedgerRow]:
    """The rows ``actor`` may see (the ledger's rule)."""
    if sees_everything(actor):
        return rows
    query = (select(Measure.id).join(Problem, Measure.problem_id == Problem.id)
             .join(Part, Problem.part_id == Part.id).where(Part.round_id == round_id))
    scope = measure_scope(actor)
    if scope is not None:
        query = query.where(scope)
    seen = set(session.scalars(query))
    return [row for row in rows if row.measure_id in seen]


def _measure_done(row: LedgerRow) -> bool:
    return row.status == S.DONE or row.problem_status in CLOSED


def _tally(key: str, label: str, rows: list[LedgerRow]) -> Tally:
    tally = Tally(key, label)
    done_by_problem: dict[int, bool] = {}
    for row in rows:
        tally.measures += 1
        done = _measure_done(row)
        tally.measures_done += done
        if not done and row.warning is not None:
            tally.open_by_colour[row.warning.colour] += 1
        done_by_problem[row.problem_id] = done_by_problem.get(row.problem_id, True) and done
    # A problem is done when closed or when all its measures are (of those in this group: a unit's
    # share of a problem is done when the unit's measures are).
    tally.problems = len(done_by_problem)
    tally.problems_done = sum(done_by_problem.values())
    return tally


def _by_part(round_: InspectionRound, rows: list[LedgerRow]) -> list[Tally]:
    grouped: dict[int, list[LedgerRow]] = {}
    for row in rows:
        grouped.setdefault(row.part_ordinal, []).append(row)
    return [_tally(str(part.id), part.title, grouped[part.ordinal]) for part in round_.parts if part.ordinal in grouped]


def _by_unit(rows: list[LedgerRow], measures: dict[int, Measure]) -> list[Tally]:
    grouped: dict[int, list[LedgerRow]] = {}
    units: dict[int, Unit] = {}
    for row in rows:
        for unit in _units_of(measures[row.measure_id]):
            units[unit.id] = unit
            grouped.setdefault(unit.id, []).append(row)
    tallies = [_tally(units[unit_id].code, units[unit_id].name, found) for unit_id, found in grouped.items()]
    return sorted(tallies, key=lambda t: (-t.measures, t.label))


def _units_of(measure: Measure) -> list[Unit]:
    """The units a measure's row belongs to: the ledger's unit filter (``workflows.ledger_page``)."""
    found = {u.id: u for u in measure.responsible_units}
    lead = measure.lead_unit or measure.problem.lead_unit
    if lead is not None:
        found.setdefault(lead.id, lead)
    return list(found.values())


def _problem_rows(rows: list[LedgerRow]) -> dict[int, LedgerRow]:
    """One row per problem (its first visible measure): the problem's status and colour."""
    first: dict[int, LedgerRow] = {}
    for row in rows:
        first.setdefault(row.problem_id, row)
    return first


def _statuses(rows: list[LedgerRow]) -> list[tuple[S, int]]:
    counts = Counter(row.problem_status for row in _problem_rows(rows).values())
    return [(status, counts[status]) for status in S if counts[status]]


def _problem_colours(rows: list[LedgerRow]) -> dict[WarningColour, int]:
    counts = Counter(row.problem_warning.colour for row in _problem_rows(rows).values()
                     if row.problem_warning is not None)
    return {colour: counts[colour] for colour in COLOURS}


def _closures(session: Session, round_id: int, problem_ids: set[int], zone: tzinfo) -> list[tuple[int, date]]:
    """(problem id, local day) of each closure of the round's problems among ``problem_ids``."""
    query = (select(Problem.id, ProcessEvent.at)
             .join(ProcessEvent, ProcessEvent.instance_id == Problem.instance_id)
             .join(Part, Problem.part_id == Part.id)
             .where(Part.round_id == round_id, ProcessEvent.name == CLOSURE_EVENT))
    return [(problem_id, at.astimezone(zone).date()) for problem_id, at in session.execute(query).tuples()
            if problem_id in problem_ids]


def _trend(closures: list[tuple[int, date]], began: date, today: date) -> tuple[str, list[ClosurePeriod]]:
    """Problems closed per week (a short round) or month, from the round's start to today, zeros included."""
    first = min([began, *(day for _, day in closures)])
    if (today - first).days < WEEKLY_UP_TO * 7:
        starts = _weeks(first, today)
        start_of = _monday
        by = "week"
    else:
        starts = _months(first, today)[-MAX_MONTHS:]
        start_of = _first_of_month
        by = "month"
    seen: dict[date, set[int]] = {start: set() for start in starts}
    for problem_id, day in closures:
        bucket = seen.get(start_of(day))
        if bucket is not None:
            bucket.add(problem_id)
    return by, [ClosurePeriod(start, len(problems)) for start, problems in seen.items()]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _weeks(first: date, last: date) -> list[date]:
    start, end = _monday(first), _monday(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


def _months(first: date, last: date) -> list[date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months

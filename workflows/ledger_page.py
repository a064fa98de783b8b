"""The ledger page (台账) a page at a time: filters and visibility in SQL, counters by aggregate queries.

A round may hold 10,000 problems, so nothing here loads the round. The filters (part, unit, status,
colour, text) and the viewer's scope (``workflows.ledger_scope``) are clauses over the SQL form of
the derived statuses (``ledger_page_status``); the counters are one aggregate query over the same
rows; only the page's problems are loaded and turned into ``LedgerRow`` s by ``ledger_rows`` — the
rows the command line and the Excel ledger show. Deriving a whole round's statuses in SQL still
reads all its tasks and events (hundreds of milliseconds at 10,000 problems), so the web passes a
``ViewCache`` (``ledger_page_cache``) that keeps each view's counters and problem order (then
counted in the same single query that orders them) until the data changes. The downloads take
every row of the filtered view (``view_measure_ids``), so the page, the workbook and the report
say the same thing.

A problem is on the page when the viewer is shown one of its measures (scope and unit filter: the
shown rows) and it passes the problem filters: part; status (the problem's status, or one of its
shown measures'); colour (the problem's warning colour); text (the problem's title or a shown
measure's text). Counters follow the published report's statistics sentence (``ReportStats``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, exists, func, or_, select, text, true
from sqlalchemy.orm import Session, joinedload, selectinload

from engine import Actor

from .deadlines import china_date
from .ledger import LedgerRow, ledger_rows
from .ledger_page_cache import ViewCache, ViewSummary, watermark
from .ledger_page_status import problem_table
from .ledger_scope import measure_scope
from .models import InspectionRound, Measure, Part, Problem, Unit, measure_unit
from .models import ProblemStatus as S
from .report import ReportStats
from .warnings import CLOSED, WarningColour

PAGE_SIZE = 30  # problems a page (about 100 measure rows): the page stays well inside 100 ms
MAX_QUERY = 100  # characters of a text search
_MAX_ID_DIGITS = 12


@dataclass(frozen=True)
class LedgerFilters:
    """The page's GET parameters: ``round``, ``part``, ``unit``, ``status``, ``colour``, ``q``, ``page``."""

    round_id: int | None = None
    part_id: int | None = None
    unit: str | None = None  # a unit's code
    status: S | None = None
    colour: WarningColour | None = None
    q: str = ""
    page: int = 1

    def args(self, **changes: object) -> dict[str, str]:
        """The filters as GET parameters (``round`` always, the others when set), with ``changes``."""
        values: dict[str, object] = {
            "round": self.round_id, "part": self.part_id, "unit": self.unit,
            "status": self.status.name.lower() if self.status else None,
            "colour": self.colour.value if self.colour else None, "q": self.q or None,
            "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {name: str(value) for name, value in values.items() if value is not None}


def parse_filters(args: Mapping[str, str]) -> tuple[LedgerFilters, list[str]]:
    """The filters from GET parameters, and the names of those that were not understood (ignored)."""
    bad: list[str] = []

    def number(name: str) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if raw.isascii() and raw.isdecimal() and len(raw) <= _MAX_ID_DIGITS and int(raw) > 0:
            return int(raw)
        bad.append(name)
        return None

    status = colour = None
    raw_status = (args.get("status") or "").strip()
    if raw_status:
        status = S.__members__.get(raw_status.upper()) if raw_status.islower() or raw_status.isupper() else None
        if status is None:
            bad.append("status")
    raw_colour = (args.get("colour") or "").strip()
    if raw_colour:
        colour = next((c for c in WarningColour if c.value == raw_colour), None)
        if colour is None:
            bad.append("colour")
    unit = (args.get("unit") or "").strip() or None
    if unit is not None and len(unit) > 50:
        bad.append("unit")
        unit = None
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        bad.append("q")
        q = q[:MAX_QUERY]
    page = number("page") or 1
    return LedgerFilters(round_id=number("round"), part_id=number("part"), unit=unit, status=status,
                         colour=colour, q=q, page=page), bad


@dataclass(frozen=True)
class ProblemBlock:
    """One problem on the page and its shown rows (its facts are repeated on each row)."""

    rows: list[LedgerRow]

    @property
    def head(self) -> LedgerRow:
        """The first row: the problem's own facts."""
        return self.rows[0]


@dataclass(frozen=True)
class LedgerPage:
    """What the page shows: the round, the choices of the filters, the counters and one page of problems."""

    round: InspectionRound | None
    filters: LedgerFilters
    rounds: list[tuple[int, str]] = field(default_factory=list)
    parts: list[tuple[int, int, str]] = field(default_factory=list)  # (id, ordinal, title)
    units: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    stats: ReportStats = field(default_factory=ReportStats)
    matching: int = 0  # problems in the view, withheld ones included
    problems: list[ProblemBlock] = field(default_factory=list)
    page: int = 1
    pages: int = 1


def ledger_page(session: Session, actor: Actor, filters: LedgerFilters, *, now: datetime, window_days: int,
                page_size: int = PAGE_SIZE, cache: ViewCache | None = None) -> LedgerPage:
    """One page of the round's ledger as ``actor`` may see it, filtered, with the view's counters;
    a constant number of queries whatever the round's or the page's size. Given a ``cache``
    (``ledger_page_cache``), the view's counters and problem order are kept there while the data
    stays as it was, so paging and reloading skip the round-wide aggregate."""
    every = list(session.scalars(select(InspectionRound).order_by(InspectionRound.id.desc())))  # a handful
    rounds = [(r.id, r.title) for r in every]
    round_ = next((r for r in every if r.id == filters.round_id), None) if filters.round_id else next(iter(every), None)
    if round_ is None:
        return LedgerPage(round=None, filters=filters, rounds=rounds)
    filters = _settled(filters, round_)
    if cache is None:
        view = _view(round_.id, actor, filters, now=now, window_days=window_days)
        stats, matching = _counters(session, view)
        pages = max(1, -(-matching // page_size))
        page = min(filters.page, pages)
        ids = list(session.scalars(_ordered(view).limit(page_size).offset((page - 1) * page_size)))
    else:
        key = (watermark(session), round_.id, china_date(now), window_days, actor.key, tuple(sorted(actor.groups)),
               tuple(sorted(actor.units)), filters.part_id, filters.unit, filters.status, filters.colour, filters.q)
        settled, round_id = filters, round_.id
        summary = cache.get(key, lambda: _summary(session, _view(round_id, actor, settled, now=now,
                                                                 window_days=window_days)))
        stats, matching = summary.stats, len(summary.problem_ids)
        pages = max(1, -(-matching // page_size))
        page = min(filters.page, pages)
        ids = list(summary.problem_ids[(page - 1) * page_size:page * page_size])
    return LedgerPage(
        round=round_, filters=filters, rounds=rounds, parts=_parts(session, round_.id), units=_units(session),
        stats=stats, matching=matching, problems=_blocks(session, actor, filters, ids, now, window_days),
        page=page, pages=pages,
    )


def view_measure_ids(session: Session, actor: Actor, filters: LedgerFilters, *, now: datetime,
                     window_days: int) -> tuple[InspectionRound | None, set[int]]:
    """The round of the view and the ids of every row (measure) the view shows, on every page:
    what the downloads are built from."""
    round_ = _round(session, filters.round_id)
    if round_ is None:
        return None, set()
    filters = _settled(filters, round_)
    view = _view(round_.id, actor, filters, now=now, window_days=window_days)
    problems = view.problems.where(*view.where).with_only_columns(view.table.c.problem_id)
    query = select(Measure.id).join(Problem, Measure.problem_id == Problem.id).where(Problem.id.in_(problems))
    if view.shown is not None:
        query = query.where(view.shown)
    _without_jit(session)
    return round_, set(session.scalars(query))


@dataclass
class _View:
    table: Subquery  # the round's problems with their statuses, colours and counts (``problem_table``)
    problems: Select[Any]  # the table joined to ``Problem``
    where: list[ColumnElement[bool]]
    shown: ColumnElement[bool] | None


def _round(session: Session, round_id: int | None) -> InspectionRound | None:
    if round_id is not None:
        return session.get(InspectionRound, round_id)
    return session.scalars(select(InspectionRound).order_by(InspectionRound.id.desc()).limit(1)).first()


def _settled(filters: LedgerFilters, round_: InspectionRound) -> LedgerFilters:
    """The filters with the round they apply to filled in."""
    if filters.round_id == round_.id:
        return filters
    return LedgerFilters(round_id=round_.id, part_id=filters.part_id, unit=filters.unit, status=filters.status,
                         colour=filters.colour, q=filters.q, page=filters.page)


def _shown(actor: Actor, unit: str | None) -> ColumnElement[bool] | None:
    """The rows the viewer is shown: their scope, and the unit filter (the row's lead unit — its
    problem's when it has none — or one of its responsible units)."""
    clauses = []
    scope = measure_scope(actor)
    if scope is not None:
        clauses.append(scope)
    if unit is not None:
        unit_id = select(Unit.id).where(Unit.code == unit).scalar_subquery()
        clauses.append(or_(
            func.coalesce(Measure.lead_unit_id, Problem.lead_unit_id) == unit_id,
            exists().where(measure_unit.c.measure_id == Measure.id, measure_unit.c.unit_id == unit_id),
        ))
    return and_(*clauses) if clauses else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _view(round_id: int, actor: Actor, filters: LedgerFilters, *, now: datetime, window_days: int) -> _View:
    shown = _shown(actor, filters.unit)
    pattern = _like(filters.q) if filters.q else None
    text_hit = Measure.text.ilike(pattern, escape="\\") if pattern else None
    table = problem_table(round_id, today=china_date(now), window_days=window_days, shown=shown,
                          text_hit=text_hit, measure_status=filters.status)
    where: list[ColumnElement[bool]] = []
    if filters.part_id is not None:
        where.append(table.c.part_id == filters.part_id)
    if filters.status is not None:
        where.append(or_(table.c.status == filters.status.name, table.c.status_hit == 1))
    if filters.colour is not None:
        where.append(table.c.colour == filters.colour.value)
    if pattern is not None:
        where.append(or_(Problem.title.ilike(pattern, escape="\\"), table.c.hit == 1))
    problems = select(table).join(Problem, Problem.id == table.c.problem_id)
    return _View(table=table, problems=problems, where=where, shown=shown)


def _without_jit(session: Session) -> None:
    """PostgreSQL misjudges the status query's rows by orders of magnitude and would spend seconds
    compiling it (JIT) to save milliseconds: off for the rest of this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _counters(session: Session, view: _View) -> tuple[ReportStats, int]:
    """The report's statistics over the view (withheld problems apart) and the number of problems."""
    _without_jit(session)
    t = view.table.c
    published = t.publishable == true()
    completed = or_(t.status.in_([s.name for s in CLOSED]), t.done == t.measures)
    row = session.execute(
        view.problems.where(*view.where).with_only_columns(
            func.count(func.distinct(case((published, t.part_id)))),
            func.coalesce(func.sum(case((published, 1), else_=0)), 0),
            func.coalesce(func.sum(case((published, t.measures), else_=0)), 0),
            func.coalesce(func.sum(case((and_(published, completed), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(published, ~completed, t.long_term == true()), 1), else_=0)), 0),
            func.count(),
        )
    ).one()
    parts, problems, measures, done, long_term, matching = (int(v or 0) for v in row)
    stats = ReportStats(parts=parts, problems=problems, measures=measures, completed=done,
                        in_progress=problems - done - long_term, long_term=long_term, withheld=matching - problems)
    return stats, matching


def _summary(session: Session, view: _View) -> ViewSummary:
    """The view's counters (as ``_counters`` gives them) and every problem id in order, in one query:
    the round-wide statuses are derived once."""
    _without_jit(session)
    t = view.table.c
    closed = {s.name for s in CLOSED}
    stats, parts, ids = ReportStats(), set(), []
    for problem_id, part_id, published, long_term, status, measures, done in session.execute(
            _ordered(view).add_columns(t.part_id, t.publishable, t.long_term, t.status, t.measures, t.done)):
        ids.append(problem_id)
        if not published:
            stats.withheld += 1
            continue
        parts.add(part_id)
        stats.problems += 1
        stats.measures += measures
        if status in closed or done == measures:
            stats.completed += 1
        elif long_term:
            stats.long_term += 1
        else:
            stats.in_progress += 1
    stats.parts = len(parts)
    return ViewSummary(stats, tuple(ids))


def _ordered(view: _View) -> Select[tuple[int]]:
    t = view.table.c
    return (view.problems.join(Part, Part.id == Problem.part_id).where(*view.where)
            .with_only_columns(t.problem_id).order_by(Part.ordinal, Problem.ordinal, Problem.id))


def _blocks(session: Session, actor: Actor, filters: LedgerFilters, ids: list[int], now: datetime,
            window_days: int) -> list[ProblemBlock]:
    """The page's problems as ledger rows (only the shown ones), in ledger order."""
    if not ids:
        return []
    loaded = {p.id: p for p in session.scalars(
        select(Problem).where(Problem.id.in_(ids))
        .options(joinedload(Problem.part), selectinload(Problem.measures).selectinload(Measure.responsible_units)))}
    problems = [loaded[i] for i in ids if i in loaded]
    shown = _shown(actor, filters.unit)
    if shown is None:  # every row of these problems
        visible = {m.id for p in problems for m in p.measures}
    else:
        shown_query = select(Measure.id).join(Problem, Measure.problem_id == Problem.id).where(Problem.id.in_(ids))
        visible = set(session.scalars(shown_query.where(shown)))
    rows = ledger_rows(session, None, now=now, window_days=window_days, problems=problems)
    blocks: dict[int, list[LedgerRow]] = {}
    for row in rows:
        if row.measure_id in visible:
            blocks.setdefault(row.problem_id, []).append(row)
    return [ProblemBlock(blocks[i]) for i in ids if i in blocks]


def _parts(session: Session, round_id: int) -> list[tuple[int, int, str]]:
    query = select(Part.id, Part.ordinal, Part.title).where(Part.round_id == round_id).order_by(Part.ordinal, Part.id)
    return [(i, n, title) for i, n, title in session.execute(query).tuples()]


def _units(session: Session) -> list[tuple[str, str]]:
    return [(code, name) for code, name in session.execute(select(Unit.code, Unit.name).order_by(Unit.code)).tuples()]

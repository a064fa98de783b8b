"""Turn a parsed plan (``parser``) into a round in the database, and fill in what it lacked.

Owners named in the document are resolved against the units and people that exist;
a name that matches nothing is not invented as a new unit: it is kept as text on the
round (``sections["unresolved"]``, by ledger number) and reported as a warning, so
that ``fill_in`` can complete the measure later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, NotFound, WorkflowEngine
from engine.actor import SYSTEM

from ..deadline_changes import record_change
from ..errors import NotFoundError, ValidationError
from ..models import DeadlineSource, InspectionRound, Measure, Person, Problem, RoundKind, Unit
from ..people import create_unit, person_by_login, unit_by_code, unit_by_name
from ..plans import (
    LIFECYCLE_PROCESS,
    MAX_UNIT_NAME,
    add_measure,
    add_part,
    add_problem,
    create_round,
    launch,
    round_problems,
    start_data,
)
from ..replan import push_measure
from ..text_checks import check_text
from .meta import round_kind, round_wording
from .text import check_parsed_plan
from .tree import ParsedMeasure, ParsedPlan

DEFAULT_PART_TITLE = "反馈问题"
LONG_TERM_TEXT = "长期坚持"
UNRESOLVED = "unresolved"
UNIT_SEPARATORS = "、，,;；/ "


@dataclass
class ImportResult:
    """The round created from a document and what could not be taken over as it stood."""

    round: InspectionRound
    warnings: list[str] = field(default_factory=list)
    launched: int = 0


@dataclass
class FillInResult:
    """The measure that was completed, what changed, and caveats for a running lifecycle."""

    measure: Measure
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Owners:
    """Resolves unit and person names once per import, remembering what did not resolve."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._units: dict[str, Unit | None] = {}
        self._people: dict[str, Person | None] = {}

    def unit(self, name: str | None) -> Unit | None:
        if not name or not name.strip():
            return None
        key = name.strip()
        if key not in self._units:
            self._units[key] = unit_by_name(self.session, key)
        return self._units[key]

    def person(self, name: str | None) -> Person | None:
        if not name or not name.strip():
            return None
        key = name.strip()
        if key not in self._people:
            self._people[key] = find_person(self.session, key)
        return self._people[key]


def find_person(session: Session, name_or_login: str) -> Person | None:
    """The person with this login, else the only person with this name; ``None`` otherwise."""
    person = person_by_login(session, name_or_login)
    if person is not None:
        return person
    matches = list(session.scalars(select(Person).where(Person.name == name_or_login).limit(2)))
    return matches[0] if len(matches) == 1 else None


def find_or_create_unit(session: Session, name: str) -> Unit:
    """The unit with this name, or a new one with a code generated from the name."""
    check_text(name, "a unit name")
    check_text(name, f"the unit name '{name.strip()[:30]}…'", MAX_UNIT_NAME)
    unit = unit_by_name(session, name)
    if unit is not None:
        return unit
    base = "U" + hashlib.sha1(name.strip().encode("utf-8")).hexdigest()[:8].upper()
    code, n = base, 1
    while unit_by_code(session, code) is not None:
        n += 1
        code = f"{base}-{n}"
    return create_unit(session, code, name)


def round_title(parsed: ParsedPlan) -> str:
    """``{巡察组}对{被巡察单位}巡察反馈意见整改`` (巡视, 审计: ``meta.round_wording``), else the title or file name."""
    meta = parsed.meta
    if meta.inspecting_group and meta.inspected_unit:
        return f"{meta.inspecting_group}对{meta.inspected_unit}{round_wording(parsed)}"
    if meta.title:
        return meta.title
    stem = parsed.source_name.rsplit(".", 1)[0].strip("<>") or "巡察"
    return f"{stem}整改方案"


def import_plan(
    session: Session,
    engine: WorkflowEngine,
    parsed: ParsedPlan,
    *,
    actor: Actor,
    at: datetime,
    launch_it: bool = True,
    source_name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create a round with its parts, problems and measures from ``parsed``; launch it if asked.

    The lifecycle starts for every problem only when ``launch_it`` and every problem has a
    measure; otherwise the round is created unlaunched and a warning says why. ``progress``
    is called with 1 after each problem is launched. Only flushes.
    """
    check_parsed_plan(parsed)  # before any query: PostgreSQL refuses NUL even in a lookup
    if launch_it:
        _require_deployed(session, engine)
    with session.begin_nested():  # all or nothing, whatever fails on the way
        result = _create(session, parsed, at=at, source_name=source_name)
        if launch_it:
            empty = [p for p in round_problems(result.round) if not p.measures]
            if empty:
                numbers = ", ".join(f"{p.part.ordinal}.{p.ordinal}" for p in empty)
                result.warnings.append(f"not launched: problem(s) {numbers} have no measures")
            else:
                result.launched = _launch(session, engine, result.round, actor, progress)
    return result


def _create(session: Session, parsed: ParsedPlan, *, at: datetime, source_name: str | None) -> ImportResult:
    meta = parsed.meta
    owners = _Owners(session)
    warnings: list[str] = []
    sections: dict[str, Any] = {key: list(lines) for key, lines in parsed.sections.items() if lines}
    round_ = create_round(
        session, title=round_title(parsed), at=at,
        inspecting_group=meta.inspecting_group,
        inspected_unit=find_or_create_unit(session, meta.inspected_unit) if meta.inspected_unit else None,
        period_start=meta.period_start, period_end=meta.period_end,
        feedback_date=meta.feedback_date,
        report_date=meta.report_date,
        signatory=meta.signatory,
        contacts=meta.contacts,
        sections=sections,
        source_name=source_name or parsed.source_name,
        kind=RoundKind(round_kind(parsed)),
    )
    unresolved: dict[str, dict[str, Any]] = {}
    for parsed_part in parsed.parts:
        part = add_part(session, round_, parsed_part.title or DEFAULT_PART_TITLE)
        for parsed_problem in parsed_part.problems:
            problem = add_problem(
                session, part, parsed_problem.title, long_term=parsed_problem.long_term,
                leader=owners.person(parsed_problem.responsible_leader),
                lead_unit=owners.unit(parsed_problem.lead_unit),
            )
            for parsed_measure in parsed_problem.measures:
                measure = _add_measure(session, owners, problem, parsed_measure)
                missing = _missing_owners(owners, parsed_measure)
                if missing:
                    number = f"{part.ordinal}.{problem.ordinal}.{measure.ordinal}"
                    unresolved[number] = missing
                    warnings.extend(_describe(number, missing))
    if unresolved:
        round_.sections = {**round_.sections, UNRESOLVED: unresolved}
    session.flush()
    return ImportResult(round_, warnings)


def _require_deployed(session: Session, engine: WorkflowEngine) -> None:
    try:
        engine.latest_definition(session, LIFECYCLE_PROCESS)
    except NotFound:
        raise ValidationError(
            f"the '{LIFECYCLE_PROCESS}' process is not deployed; run 'rectiflow deploy' first"
        ) from None


def _launch(
    session: Session, engine: WorkflowEngine, round_: InspectionRound, actor: Actor,
    progress: Callable[[int], None] | None,
) -> int:
    if progress is None:
        return launch(session, engine, round_, actor)
    started = 0
    # the same steps as plans.launch, one problem at a time so that a long import shows progress
    for problem in round_problems(round_):
        if problem.instance_id is None:
            instance = engine.start(session, LIFECYCLE_PROCESS, start_data(problem), actor=actor,
                                    business_key=problem.item_key)
            problem.instance_id = instance.id
            started += 1
        progress(1)
    return started + launch(session, engine, round_, actor)


def _add_measure(session: Session, owners: _Owners, problem: Problem, parsed: ParsedMeasure) -> Measure:
    deadline_text = parsed.deadline_text
    if deadline_text is None and parsed.long_term:
        deadline_text = LONG_TERM_TEXT
    leader = owners.person(parsed.responsible_leader)
    lead_unit = owners.unit(parsed.lead_unit)
    units = [u for name in _dedupe(parsed.responsible_units) if (u := owners.unit(name)) is not None]
    return add_measure(
        session, problem, parsed.text,
        deadline=parsed.deadline,
        deadline_text=deadline_text,
        # a measure repeats its problem's owners only where they differ
        leader=leader if leader is not problem.responsible_leader else None,
        lead_unit=lead_unit if lead_unit is not problem.lead_unit else None,
        units=units,
    )


def _missing_owners(owners: _Owners, parsed: ParsedMeasure) -> dict[str, Any]:
    missing: dict[str, Any] = {}
    if parsed.responsible_leader and owners.person(parsed.responsible_leader) is None:
        missing["leader"] = parsed.responsible_leader
    if parsed.lead_unit and owners.unit(parsed.lead_unit) is None:
        missing["lead_unit"] = parsed.lead_unit
    units = [name for name in _dedupe(parsed.responsible_units) if owners.unit(name) is None]
    if units:
        missing["units"] = units
    return missing


def _describe(number: str, missing: dict[str, Any]) -> list[str]:
    lines = []
    if "leader" in missing:
        lines.append(f"measure {number}: no person named '{missing['leader']}' (leader left empty)")
    if "lead_unit" in missing:
        lines.append(f"measure {number}: unknown lead unit '{missing['lead_unit']}' (kept as text)")
    for name in missing.get("units", []):
        lines.append(f"measure {number}: unknown responsible unit '{name}' (kept as text)")
    return lines


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        name = name.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def split_units(text: str) -> list[str]:
    """``"办公室、综治科"`` -> ``["办公室", "综治科"]`` (also split at commas, semicolons, slashes)."""
    for sep in UNIT_SEPARATORS[1:]:
        text = text.replace(sep, UNIT_SEPARATORS[0])
    return _dedupe(text.split(UNIT_SEPARATORS[0]))


def measure_by_number(round_: InspectionRound, number: str) -> Measure:
    """The measure with ledger number ``part.problem.measure`` (e.g. ``3.2.1``) in the round."""
    try:
        part_no, problem_no, measure_no = (int(n) for n in number.strip().split("."))
    except ValueError:
        raise ValidationError(f"'{number}' is not a ledger number such as 3.2.1") from None
    for part in round_.parts:
        if part.ordinal != part_no:
            continue
        for problem in part.problems:
            if problem.ordinal != problem_no:
                continue
            for measure in problem.measures:
                if measure.ordinal == measure_no:
                    return measure
    raise NotFoundError(f"round {round_.id} has no measure {number}")


def fill_in(
    session: Session,
    round_: InspectionRound,
    number: str,
    *,
    deadline: date | None = None,
    leader_login: str | None = None,
    lead_unit: str | None = None,
    units: str | Sequence[str] | None = None,
    engine: WorkflowEngine | None = None,
    actor: Actor | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> FillInResult:
    """Set the deadline, leader, lead unit or responsible units of the measure ``number``.

    Unknown logins and unit names are errors (nothing is changed). The problem takes the
    leader and lead unit too when it has none. A deadline that differs from the measure's is
    recorded as a change (补录, with the optional ``reason``, by the actor, at ``at`` or the engine's now). Given
    the engine and the actor, a running lifecycle takes the new values too (its timer and open
    tasks move); without them it keeps its start data and the result's warnings say so. Only flushes.
    """
    if deadline is None and not leader_login and not lead_unit and not units:
        raise ValidationError("nothing to fill in: give a deadline, a leader, a lead unit or units")
    for name in (leader_login, lead_unit, reason, *([units] if isinstance(units, str) else units or ())):
        check_text(name, "a name to fill in")  # before the lookups: PostgreSQL refuses NUL in a query
    measure = measure_by_number(round_, number)
    problem = measure.problem
    leader = lead = None
    unit_rows: list[Unit] | None = None
    if leader_login:
        leader = person_by_login(session, leader_login.strip())
        if leader is None:
            raise ValidationError(f"no person with login '{leader_login.strip()}'")
    if lead_unit:
        lead = unit_by_name(session, lead_unit)
        if lead is None:
            raise ValidationError(f"unknown unit '{lead_unit.strip()}'")
    if units:
        names = split_units(units) if isinstance(units, str) else _dedupe(units)
        unknown = [name for name in names if unit_by_name(session, name) is None]
        if unknown:
            raise ValidationError(f"unknown unit(s): {', '.join(unknown)}")
        unit_rows = [u for name in names if (u := unit_by_name(session, name)) is not None]

    result = FillInResult(measure)
    if deadline is not None:
        if (when := at or (engine.clock() if engine is not None else None)) is None:
            raise ValueError("fill_in needs the time of a deadline change: pass at= or engine=")
        record_change(session, measure, deadline, source=DeadlineSource.FILL_IN,
                      actor=actor.key if actor is not None else SYSTEM, at=when, reason=reason)
        measure.deadline_text = None  # the plan's wording gives way to the date, even when it is the same date
        result.changed.append(f"deadline {deadline.isoformat()}")
    if leader is not None:
        measure.responsible_leader = leader
        problem.responsible_leader = problem.responsible_leader or leader
        result.changed.append(f"leader {leader.name} ({leader.login})")
    if lead is not None:
        measure.lead_unit = lead
        problem.lead_unit = problem.lead_unit or lead
        result.changed.append(f"lead unit {lead.name}")
    if unit_rows is not None:
        measure.responsible_units = unit_rows
        result.changed.append("units " + "、".join(u.name for u in unit_rows))
    _forget_unresolved(round_, number.strip(), leader=leader is not None, lead_unit=lead is not None,
                       units=unit_rows is not None)
    session.flush()
    if problem.instance_id is not None and engine is not None and actor is not None:
        if push_measure(session, engine, measure, actor, reason=f"fill-in {number.strip()}"):
            result.changed.append("running lifecycle updated")
    elif problem.instance_id is not None:
        result.warnings.append(
            f"problem {problem.part.ordinal}.{problem.ordinal} is already running: the plan and the ledger "
            "show the new values, the running lifecycle keeps the owners and deadline it started with"
        )
    session.flush()
    return result


def _forget_unresolved(
    round_: InspectionRound, number: str, *, leader: bool, lead_unit: bool, units: bool
) -> None:
    pending = dict(round_.sections.get(UNRESOLVED) or {})
    entry = dict(pending.get(number) or {})
    if not entry:
        return
    for key, done in (("leader", leader), ("lead_unit", lead_unit), ("units", units)):
        if done:
            entry.pop(key, None)
    if entry:
        pending[number] = entry
    else:
        pending.pop(number, None)
    # a new dict, so that the JSON column is seen as changed
    sections = {**round_.sections, UNRESOLVED: pending}
    if not pending:
        sections.pop(UNRESOLVED)
    round_.sections = sections

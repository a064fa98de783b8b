"""The ledger (台账): every problem and measure of a round with owners, deadlines and status.

Given ``now`` (the engine's clock) and the warning window, each row also carries the warning
colour of its measure and of its problem (``workflows.warnings``: the one definition the inbox
and the task page use too); without ``now`` there are no colours (None). Each row carries its
problem's active flag (挂牌督办, ``workflows.flags``) either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import HumanTask, ProcessEvent, TaskStatus

from ..flags import FlagNote, active_flags_by_problem, flag_note
from ..history import people_names
from ..models import DeadlineChange, DeadlineSource, Evidence, InspectionRound, Measure, Problem, ProblemFlag
from ..models import ProblemStatus as S
from ..plans import round_problems
from ..stages import Stage
from ..status import REOPEN_EVENTS, REOPENING_STAGES, ProblemState, derive
from ..warnings import DeadlineWarning, flag_warning, measure_warning, problem_warning, warning_json
from . import history_text

REBOUND_EVENT = "problem_rebound"
# The stage whose completed task threw each reopen event (its reason and who decided).
_REOPEN_STAGE = {REBOUND_EVENT: Stage.LOOKBACK, "verification_failed": Stage.VERIFY}
_CHUNK = 500


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
    # The warning colours at the ``now`` the rows were read at (None without one, and for a done
    # measure or a closed problem: ``workflows.warnings``), and the problem's active flag.
    warning: DeadlineWarning | None = None
    problem_warning: DeadlineWarning | None = None
    flag: FlagNote | None = None

    @property
    def problem_number(self) -> str:
        """The problem's ledger number, e.g. ``2.1``."""
        return f"{self.part_ordinal}.{self.problem_ordinal}"

    @property
    def deadline_note(self) -> str:
        """``整改时限：2027-05-31；原定2027-03-31，因核实未通过调整``, or empty when the deadline is the
        plan's first (``history_text.deadline_note``, for readers outside the package)."""
        return history_text.deadline_note(self)


def ledger_rows(session: Session, round_: InspectionRound | None, *, now: datetime | None = None,
                window_days: int = 10, problems: list[Problem] | None = None) -> list[LedgerRow]:
    """The round's ledger in document order, with each measure's deadline history, each problem's
    last reopening and active flag, and — given ``now`` — the warning colours with a warning window
    of ``window_days``; a constant number of queries whatever the round's size.

    ``problems`` (in ledger order, with their parts and measures loaded) limits the rows to those
    problems — one page, one problem — without loading the rest of the round (``round_`` may then be None).
    """
    if problems is None:
        assert round_ is not None, "ledger_rows needs a round or its problems"
        problems = round_problems(round_)
    states = derive(session, problems)
    measure_ids = [m.id for p in problems for m in p.measures]
    evidence = _evidence_counts(session, measure_ids)
    changes = _deadline_changes(session, measure_ids)
    reopens = _reopen_facts(session, [p.instance_id for p in problems if p.instance_id is not None])
    flags = active_flags_by_problem(session, [p.id for p in problems])
    names = people_names(session, {c.changed_by for cs in changes.values() for c in cs}
                         | {login for fact in reopens.values() if (login := fact[1]) is not None}
                         | {f.flagged_by for f in flags.values()})
    rows = []
    for problem in problems:
        state: ProblemState = states[problem.id]
        reopen = _reopening(reopens.get(problem.instance_id), names) if problem.instance_id is not None else None
        flagged = flags.get(problem.id)
        colours = _Colours(problem, state, flagged, now, window_days)
        note = flag_note(flagged, names, colours.flag) if flagged is not None else None
        for measure in problem.measures:
            history = tuple(_step(change, names) for change in changes.get(measure.id, []))
            rows.append(_row(problem, measure, state, evidence.get(measure.id, 0), history, reopen,
                             colours, note))
    return rows


def row_json(row: LedgerRow) -> dict[str, Any]:
    """One ledger row as JSON-ready values (``rectiflow ledger --json``): dates as ``YYYY-MM-DD``,
    times as ISO 8601 UTC, warnings as ``{"colour", "days_left", "text"}`` or null (none: done or
    closed), the active flag as ``{"reason", "deadline", "by", "by_login", "at", "warning"}`` or null."""
    flag = row.flag
    return {
        "number": row.number, "part": row.part, "problem_number": row.problem_number, "problem": row.problem,
        "problem_status": row.problem_status.value, "measure": row.measure,
        "responsible_leader": row.responsible_leader, "lead_unit": row.lead_unit,
        "responsible_units": row.responsible_units,
        "deadline": row.deadline.isoformat() if row.deadline else None, "deadline_text": row.deadline_text,
        "original_deadline": row.original_deadline.isoformat() if row.original_deadline else None,
        "status": row.status.value, "progress": row.progress, "evidence_count": row.evidence_count,
        "long_term": row.long_term,
        "warning": warning_json(row.warning), "problem_warning": warning_json(row.problem_warning),
        "flag": None if flag is None else {
            "reason": flag.reason, "deadline": flag.deadline.isoformat(), "by": flag.by, "by_login": flag.by_login,
            "at": flag.at.isoformat(), "warning": warning_json(flag.warning)},
    }


class _Colours:
    """A problem's warning colours at ``now``: each open measure's, its flag's and its own."""

    def __init__(self, problem: Problem, state: ProblemState, flagged: ProblemFlag | None, now: datetime | None,
                 window_days: int) -> None:
        self.measures: dict[int, DeadlineWarning | None] = {}
        self.flag: DeadlineWarning | None = None
        self.problem: DeadlineWarning | None = None
        if now is None:
            return
        for measure in problem.measures:
            self.measures[measure.id] = measure_warning(
                measure.deadline, state.measures.get(measure.id, S.NOT_STARTED), state.status, now,
                window_days=window_days, long_term=problem.long_term)
        if flagged is not None:
            self.flag = flag_warning(flagged.deadline, state.status, now, window_days=window_days)
        self.problem = problem_warning(self.measures.values(), state.status, long_term=problem.long_term,
                                       flag=self.flag)


def _row(problem: Problem, measure: Measure, state: ProblemState, evidence: int,
         history: tuple[DeadlineStep, ...], reopen: Reopening | None, colours: _Colours,
         flag: FlagNote | None) -> LedgerRow:
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
        original_deadline=_original(history, measure.deadline),
        deadline_history=history,
        reopen=reopen,
        warning=colours.measures.get(measure.id),
        problem_warning=colours.problem,
        flag=flag,
    )


def _original(history: tuple[DeadlineStep, ...], current: date | None) -> date | None:
    """The first deadline the measure was given: a deadline filled in where the plan had none is the
    original one (原定时限), not an adjustment of it; the history still shows it was filled in."""
    return next((day for step in history for day in (step.old, step.new) if day is not None), current)


def _evidence_counts(session: Session, measure_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(measure_ids):
        rows = session.execute(
            select(Evidence.measure_id, func.count()).where(Evidence.measure_id.in_(chunk))
            .group_by(Evidence.measure_id)
        ).tuples().all()
        counts.update((measure_id, count) for measure_id, count in rows if measure_id is not None)
    return counts


def _deadline_changes(session: Session, measure_ids: list[int]) -> dict[int, list[DeadlineChange]]:
    """Each measure's deadline changes, oldest first."""
    found: dict[int, list[DeadlineChange]] = {}
    for chunk in _chunks(measure_ids):
        query = (select(DeadlineChange).where(DeadlineChange.measure_id.in_(chunk))
                 .order_by(DeadlineChange.changed_at, DeadlineChange.id))
        for change in session.scalars(query):
            found.setdefault(change.measure_id, []).append(change)
    return found


# (last reopen event, login of who decided it, their reason, how many reopenings in all)
_ReopenFact = tuple[ProcessEvent, str | None, str, int]


def _reopen_facts(session: Session, instance_ids: list[int]) -> dict[int, _ReopenFact]:
    """Per instance with a reopening: its last reopen event and the completed task that threw it."""
    events: dict[int, list[ProcessEvent]] = {}
    decided: dict[int, list[HumanTask]] = {}
    for chunk in _chunks(instance_ids):
        for event in session.scalars(select(ProcessEvent).where(
                ProcessEvent.instance_id.in_(chunk), ProcessEvent.name.in_(REOPEN_EVENTS)).order_by(ProcessEvent.id)):
            events.setdefault(event.instance_id, []).append(event)
        for done in session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_(chunk), HumanTask.stage.in_(REOPENING_STAGES),
                HumanTask.status == TaskStatus.COMPLETED).order_by(HumanTask.id)):
            decided.setdefault(done.instance_id, []).append(done)
    facts: dict[int, _ReopenFact] = {}
    for instance_id, thrown in events.items():
        last = thrown[-1]
        # the event is thrown in the step that completed the task: no later than the event
        task = next((t for t in reversed(decided.get(instance_id, []))
                     if t.stage == _REOPEN_STAGE.get(last.name) and t.completed_at is not None
                     and t.completed_at <= last.at), None)
        reason = (task.data or {}).get("reason") if task is not None else None
        facts[instance_id] = (last, task.completed_by if task is not None else None,
                              reason.strip() if isinstance(reason, str) else "", len(thrown))
    return facts


def _reopening(fact: _ReopenFact | None, names: dict[str, str]) -> Reopening | None:
    if fact is None:
        return None
    event, login, reason, times = fact
    return Reopening(rebound=event.name == REBOUND_EVENT, reason=reason,
                     by=names.get(login, login) if login else "", at=event.at, times=times)


def _step(change: DeadlineChange, names: dict[str, str]) -> DeadlineStep:
    return DeadlineStep(old=change.old_deadline, new=change.new_deadline, source=change.source,
                        reason=change.reason or "", by=names.get(change.changed_by, change.changed_by),
                        at=change.changed_at)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]

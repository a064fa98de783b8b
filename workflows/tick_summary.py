"""What a timer tick did, in the words of the work: items overdue, look-backs opened, reports due, failures.

``mark_before_tick`` notes where the tables stand before a tick (the last event and task ids,
the attempts of the timers due); ``summarise_tick`` reads what the tick added in the instances it
advanced — ``measure_overdue`` events, look-back and periodic-report tasks — and which due timers
failed (their attempts went up), and names each by its ledger number and text. ``tick_lines``
says it as the command line prints it. ``timer_items`` names the item a timer is about (the
incident list says which measure's timer gave up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from engine import HumanTask, ProcessEvent, Timer
from engine.incidents import MAX_TIMER_ATTEMPTS

from .inbox import shorten
from .item_keys import measure_id
from .models import Measure, Part, Problem
from .stages import Stage
from .task_lookup import step_name

OVERDUE_EVENT = "measure_overdue"
TEXT_PREVIEW = 30  # characters of a measure's text or a problem's title in a line


@dataclass(frozen=True)
class TickMark:
    """Where the tables stood before a tick."""

    last_event_id: int
    last_task_id: int
    due_attempts: dict[int, int]  # timer id -> attempts so far, for the timers due at the tick's time


@dataclass(frozen=True)
class Happening:
    """One thing the tick did to one item: its ledger number and what it is (a measure's text, a
    problem's title), with the deadline or the error where there is one."""

    number: str
    text: str
    deadline: date | None = None
    detail: str = ""


@dataclass
class TickSummary:
    """What one tick did."""

    advanced: int = 0  # problems (instances) whose timers fired
    overdue: list[Happening] = field(default_factory=list)
    lookbacks: list[Happening] = field(default_factory=list)
    reports: list[Happening] = field(default_factory=list)
    other_tasks: list[Happening] = field(default_factory=list)
    failures: list[Happening] = field(default_factory=list)


def mark_before_tick(session: Session, now: datetime) -> TickMark:
    """Note the last event and task ids and the attempts of the timers due at ``now``."""
    due = session.execute(
        select(Timer.id, Timer.attempts).where(Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
    ).tuples().all()
    return TickMark(
        last_event_id=session.scalar(select(func.max(ProcessEvent.id))) or 0,
        last_task_id=session.scalar(select(func.max(HumanTask.id))) or 0,
        due_attempts=dict(due),
    )


def summarise_tick(session: Session, mark: TickMark, advanced: Sequence[int]) -> TickSummary:
    """What the tick that followed ``mark`` did: in the ``advanced`` instances, the events and
    tasks it added; among the timers due, those whose attempt failed."""
    summary = TickSummary(advanced=len(advanced))
    failed = [timer for timer in session.scalars(
        select(Timer).where(Timer.id.in_(list(mark.due_attempts))).order_by(Timer.instance_id, Timer.id)
    ) if timer.attempts > mark.due_attempts[timer.id]]
    instance_ids = set(advanced) | {timer.instance_id for timer in failed}
    if not instance_ids:
        return summary
    problems = {p.instance_id: p for p in session.scalars(
        select(Problem).where(Problem.instance_id.in_(instance_ids))
        .options(joinedload(Problem.part).joinedload(Part.round))
    )}
    events = session.scalars(
        select(ProcessEvent)
        .where(ProcessEvent.id > mark.last_event_id, ProcessEvent.instance_id.in_(list(advanced)),
               ProcessEvent.name == OVERDUE_EVENT)
        .order_by(ProcessEvent.id)
    ).all()
    tasks = session.scalars(
        select(HumanTask)
        .where(HumanTask.id > mark.last_task_id, HumanTask.instance_id.in_(list(advanced)))
        .order_by(HumanTask.id)
    ).all()
    measures = _measures(session, [e.item_key for e in events])
    for event in events:
        measure = measures.get(measure_id(event.item_key) or 0)
        problem = problems.get(event.instance_id)
        if measure is not None and problem is not None:
            summary.overdue.append(Happening(_number(problem, measure), measure.text, deadline=measure.deadline))
    for task in tasks:
        problem = problems.get(task.instance_id)
        happening = Happening(_number(problem) if problem else f"instance {task.instance_id}",
                              problem.title if problem else "", detail=step_name(task.name))
        if task.stage == Stage.LOOKBACK:
            summary.lookbacks.append(happening)
        elif task.stage == Stage.LONG_TERM_REPORT:
            summary.reports.append(happening)
        else:
            summary.other_tasks.append(happening)
    seen: set[int] = set()
    for timer in failed:
        if timer.instance_id in seen:  # one failure per instance: its due timers share the attempt
            continue
        seen.add(timer.instance_id)
        problem = problems.get(timer.instance_id)
        gave_up = "; an incident now, for an administrator" if timer.attempts >= MAX_TIMER_ATTEMPTS else ""
        summary.failures.append(Happening(
            _number(problem) if problem else f"instance {timer.instance_id}", problem.title if problem else "",
            detail=f"attempt {timer.attempts} of {MAX_TIMER_ATTEMPTS}{gave_up}: {timer.last_error or '?'}",
        ))
    for items in (summary.overdue, summary.lookbacks, summary.reports, summary.other_tasks, summary.failures):
        items.sort(key=lambda item: _order(item.number))
    return summary


def timer_items(session: Session, timers: Sequence[Timer]) -> dict[int, Happening]:
    """The item each timer is about, by timer id: its measure (``2.2.1`` and the measure's text) when
    its item key names one, else its instance's problem (``2.2`` and the title); timers of an
    instance outside any problem are left out."""
    problems = {p.instance_id: p for p in session.scalars(
        select(Problem).where(Problem.instance_id.in_({t.instance_id for t in timers}))
        .options(joinedload(Problem.part))
    )}
    measures = _measures(session, [t.item_key for t in timers])
    items = {}
    for timer in timers:
        problem = problems.get(timer.instance_id)
        measure = measures.get(measure_id(timer.item_key) or 0)
        if problem is None:
            continue
        if measure is not None and measure.problem_id == problem.id:
            items[timer.id] = Happening(_number(problem, measure), measure.text, deadline=measure.deadline)
        else:
            items[timer.id] = Happening(_number(problem), problem.title)
    return items


def _order(number: str) -> tuple[int, ...]:
    """Ledger order: 2.10 after 2.9; items outside any problem last."""
    parts = number.split(".")
    return tuple(int(p) for p in parts) if all(p.isdecimal() for p in parts) else (10**9,)


def _measures(session: Session, item_keys: Sequence[str | None]) -> dict[int, Measure]:
    ids = {i for key in item_keys if (i := measure_id(key)) is not None}
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Measure).where(Measure.id.in_(ids)))}


def _number(problem: Problem, measure: Measure | None = None) -> str:
    number = f"{problem.part.ordinal}.{problem.ordinal}"
    return number + (f".{measure.ordinal}" if measure is not None else "")


def tick_lines(summary: TickSummary) -> list[str]:
    """The tick in words, one line per item: ``逾期：2.2.1 建立健全…（整改时限 2027-03-31）``."""
    failed = len(summary.failures)
    if not summary.advanced and not failed:
        return ["timers fired: none due"]
    head = f"timers fired: {summary.advanced} problem(s) advanced" + (f", {failed} failed" if failed else "")
    lines = [head]
    for item in summary.overdue:
        limit = f"（整改时限 {item.deadline.isoformat()}）" if item.deadline else ""
        lines.append(f"  逾期：{item.number} {shorten(item.text, TEXT_PREVIEW)}{limit}")
    for item in summary.lookbacks:
        lines.append(f"  回头看开始：{item.number} {shorten(item.text, TEXT_PREVIEW)}")
    reports: dict[str, list[Happening]] = {}
    for item in summary.reports:  # a cycle that catches up on several periods opens a report for each
        reports.setdefault(item.number, []).append(item)
    for number, items in reports.items():
        periods = f"（{len(items)} 期）" if len(items) > 1 else ""
        lines.append(f"  定期报告到期：{number} {shorten(items[0].text, TEXT_PREVIEW)}{periods}")
    for item in summary.other_tasks:
        lines.append(f"  新任务：{item.number} {shorten(item.text, TEXT_PREVIEW)}（{item.detail}）")
    for item in summary.failures:
        lines.append(f"  失败：{item.number} {shorten(item.text, TEXT_PREVIEW)} — {item.detail}")
    return lines

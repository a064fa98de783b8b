"""The instance's position as the page hands it to ``problem_diagram.js`` (``<script type="application/json">``)
and as the server-rendered list of steps shows it: one set of data for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.instance_position import CURRENT, WAITING, InstancePosition, WaitingTimer
from workflows.inbox import split_name

from ..formatting import local_date, local_datetime
from ..i18n import current_language, t


@dataclass(frozen=True)
class StepLine:
    """One step of the server-rendered list: its name in the reader's language, state and what it waits for."""

    bpmn_id: str
    name: str
    kind: str
    depth: int
    state: str | None  # current, waiting, active, done or None (not reached)
    note: str  # "当前 ×2", "到期 2026-02-04", or empty


def step_lines(position: InstancePosition) -> list[StepLine]:
    """The diagram's steps in flow order with the instance's state on each."""
    lines = []
    for step in position.steps:
        state = position.state_of(step.bpmn_id)
        lines.append(StepLine(step.bpmn_id, _name(step.name), step.kind, step.depth, state,
                              _note(position, step.bpmn_id, state)))
    return lines


def diagram_state(position: InstancePosition) -> dict[str, Any]:
    """The JSON the diagram script reads: element ids done, current (with overlay text) and waiting
    timers (with due times, ISO 8601 UTC and as the reader's date), and the overlay labels."""
    return {
        "completed": sorted(position.completed - position.current.keys() - position.waiting - position.active),
        "active": sorted(position.active - position.current.keys()),
        "current": [{"id": bpmn_id, "count": count, "label": _current_label(count)}
                    for bpmn_id, count in sorted(position.current.items())],
        "waiting": [{"id": bpmn_id, "due": [timer.due_at.isoformat() for timer in timers],
                     "label": _timer_label(timers)}
                    for bpmn_id, timers in _timers_by_element(position).items()],
        "finished": position.finished,
    }


def _name(whole: str) -> str:
    zh, en = split_name(whole)
    own, other = (en, zh) if current_language() == "en" else (zh, en)
    return own or other or whole


def _note(position: InstancePosition, bpmn_id: str, state: str | None) -> str:
    if state == CURRENT:
        return _current_label(position.current[bpmn_id])
    if state == WAITING:
        return _timer_label(_timers_by_element(position)[bpmn_id])
    return ""


def _current_label(count: int) -> str:
    return t("problems.current_count", count=count) if count > 1 else t("problems.state.current")


def _timer_label(timers: list[WaitingTimer]) -> str:
    first = timers[0].due_at  # soonest first (the timer table's order)
    if len(timers) == 1:
        return t("problems.timer_due", due=local_datetime(first))
    return t("problems.timer_due_more", due=local_date(first), count=len(timers))


def _timers_by_element(position: InstancePosition) -> dict[str, list[WaitingTimer]]:
    found: dict[str, list[WaitingTimer]] = {}
    for timer in position.timers:
        found.setdefault(timer.bpmn_id, []).append(timer)
    return found

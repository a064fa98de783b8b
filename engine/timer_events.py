"""SpiffWorkflow's timer events, evaluated with the engine's bounded, calendar-aware arithmetic.

:func:`install` replaces the three methods through which SpiffWorkflow evaluates a timer
(date, duration, cycle) with the ones below. They keep SpiffWorkflow's stored keys and
control flow, read the engine clock, compute with :mod:`engine.timer_values`, and turn a
bad value into a ``WorkflowFailure`` naming the timer element, never a bare ``Exception``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task

from .clock import current_time
from .errors import WorkflowFailure, failure_message
from .step_limits import check_time
from .timer_values import MAX_DURATION, TimerValueError, advance_cycle, due_after, parse_instant, start_cycle


def _element(task: Task) -> str:
    return str(task.task_spec.bpmn_id or task.task_spec.name)


def _evaluate(definition: TimerEventDefinition, task: Task) -> Any:
    check_time(_element(task))
    return task.workflow.script_engine.evaluate(task, definition.expression)


def _failure(task: Task, exc: TimerValueError) -> WorkflowFailure:
    return WorkflowFailure(failure_message(_element(task), exc), bpmn_id=_element(task))


def date_has_fired(self: TimeDateEventDefinition, my_task: Task) -> bool:
    """A date timer: due at its (evaluated, then stored) instant."""
    return _has_fired(my_task, lambda: parse_instant(_evaluate(self, my_task)))


def duration_has_fired(self: DurationTimerEventDefinition, my_task: Task) -> bool:
    """A duration timer: due one duration (calendar months and years) after it started waiting."""
    return _has_fired(my_task, lambda: due_after(_evaluate(self, my_task), current_time()))


def _has_fired(my_task: Task, first_due: Callable[[], datetime]) -> bool:
    """Compute the due time once (``first_due``), store it, and mark the timer fired once it has passed."""
    event_value = my_task._get_internal_data("event_value")
    try:
        if event_value is None:
            event_value = first_due().isoformat()
            my_task._set_internal_data(event_value=event_value)
        due = parse_instant(event_value)
    except TimerValueError as exc:
        raise _failure(my_task, exc) from None
    if due < current_time():
        my_task._set_internal_data(event_fired=True)
    return bool(my_task._get_internal_data("event_fired", False))


def cycle_complete(self: CycleTimerEventDefinition, my_task: Task) -> bool:
    """A cycle timer: True once per occurrence that has passed (the caller then adds a child)."""
    event_value = my_task._get_internal_data("event_value")
    try:
        if event_value is None:
            event_value = start_cycle(_evaluate(self, my_task), current_time())
        ready = False
        if event_value["cycles"] != 0:
            if parse_instant(event_value["next"]) < current_time():
                advance_cycle(event_value)
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
    except TimerValueError as exc:
        raise _failure(my_task, exc) from None
    my_task._set_internal_data(event_value=event_value)
    return ready


def _bounded(month_loop: Any) -> Any:
    # SpiffWorkflow's month-by-month loops are no longer reached by the engine; should anything
    # call them, a duration beyond MAX_DURATION fails at once instead of looping for minutes.
    def loop(parsed_duration: dict[str, Any], *args: Any) -> Any:
        months = 12 * parsed_duration.get("years", 0) + parsed_duration.get("months", 0)
        if months > MAX_DURATION.days / 28:
            raise TimerValueError("the timer duration is longer than 100 years")
        return month_loop(parsed_duration, *args)

    loop.__wrapped__ = month_loop  # type: ignore[attr-defined]
    return staticmethod(loop)


def install() -> None:
    """Replace SpiffWorkflow's timer evaluation with the engine's; safe to call more than once."""
    TimeDateEventDefinition.has_fired = date_has_fired  # type: ignore[method-assign]
    DurationTimerEventDefinition.has_fired = duration_has_fired  # type: ignore[method-assign]
    CycleTimerEventDefinition.cycle_complete = cycle_complete  # type: ignore[method-assign]
    for name in ("get_timedelta_from_start", "get_timedelta_from_end"):
        current = getattr(TimerEventDefinition, name)
        if not hasattr(current, "__wrapped__"):
            setattr(TimerEventDefinition, name, _bounded(current))

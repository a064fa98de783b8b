"""Timer values — ISO 8601 dates, durations and cycles — read strictly and kept within bounds.

SpiffWorkflow's own timer arithmetic adds a duration one month at a time (``P99999999Y``
loops 1.2 billion times inside a tick, with the instance locked), counts a month as the
length of the first month it meets (``R/P1M`` from 31 January fires every 31 days), and
raises a bare ``Exception`` for text it cannot read. The engine evaluates every timer with
the functions here instead (:mod:`engine.timer_events`), and deploy checks literal values
with :func:`check_timer_literal`.

Months and years follow the calendar: the n-th occurrence of a cycle is its anchor plus
n periods, the day clamped to the end of a shorter month (31 January + 1 month is 28 or
29 February, + 2 months is 31 March), so the schedule never drifts.
"""

from __future__ import annotations

import ast
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    LOCALTZ,
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

# The earliest and the latest instant a timer may name. The latest leaves room for the domain's
# "no deadline" date (workflows.deadlines.NO_DEADLINE, 2999-12-31) and stays far from year 9999,
# where datetime arithmetic overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
MAX_DURATION = timedelta(days=36525)  # 100 years
MAX_REPEATS = 10_000
# A shorter period would open a task every few seconds and fill the database during a catch-up.
MIN_CYCLE_PERIOD = timedelta(minutes=1)
_MAX_TEXT = 100  # characters of a timer value; ISO 8601 values are far shorter
_MAX_DIGITS = 12  # digits of one number in a duration (more is certainly beyond MAX_DURATION)
_SHOWN = 40  # characters of a refused value quoted in a message

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:(\d+)Y)?(?:(\d+)M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?",
    re.IGNORECASE,
)
_WEEK_DATE = re.compile(r"(\d{4})-?W(\d{2})-?(\d)(T.+)?", re.IGNORECASE)
# What modelers write as a timer value: ISO 8601 text, unquoted (P7D, R6/P1D, 2027-01-01T09:00:00Z).
_PLAIN_LITERAL = re.compile(r"R\d*/\S+|-?PT?\d[\w.,]*|\d{4}-[\w:+\-.,]*")


class TimerValueError(ValueError):
    """A timer value that is not ISO 8601, or is absurd (negative, too long, out of range)."""


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration: whole calendar months (years count 12) and a fixed part."""

    months: int
    fixed: timedelta
    text: str

    def approximately(self) -> timedelta:
        """The length with every month counted as 31 days (for bounds, never for schedules)."""
        return timedelta(days=31 * self.months) + self.fixed


def _shown(value: object) -> str:
    text = str(value).strip()
    return "'" + (text if len(text) <= _SHOWN else text[:_SHOWN] + "…") + "'"


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TimerValueError(f"a timer {what} must be ISO 8601 text, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise TimerValueError(f"the timer {what} is empty")
    if len(text) > _MAX_TEXT:
        raise TimerValueError(f"the timer {what} {_shown(text)} is too long")
    return text


def parse_duration(value: object) -> Duration:
    """An ISO 8601 duration (``P1D``, ``P1M``, ``PT2H30M``), refused if negative, empty or over 100 years."""
    text = _text(value, "duration")
    if text.startswith("-"):
        raise TimerValueError(f"a timer duration cannot be negative: {_shown(text)}")
    match = _DURATION.fullmatch(text)
    has_time = "T" in text.upper()
    if match is None or not any(match.groups()) or (has_time and not any(match.groups()[4:])):
        raise TimerValueError(f"{_shown(text)} is not an ISO 8601 duration such as P1D, P1M or PT2H")
    if any(group and len(group) > _MAX_DIGITS for group in match.groups()):
        raise TimerValueError(f"the timer duration {_shown(text)} is longer than 100 years")
    years, months, weeks, days, hours, minutes, seconds = (
        float(group.replace(",", ".")) if group else 0.0 for group in match.groups()
    )
    # Bounded before any timedelta is built: a timedelta of a trillion days overflows.
    total_days = 31 * (12 * years + months) + 7 * weeks + days + hours / 24 + minutes / 1440 + seconds / 86400
    if total_days > MAX_DURATION.days:
        raise TimerValueError(f"the timer duration {_shown(text)} is longer than 100 years")
    return Duration(
        months=int(years) * 12 + int(months),
        fixed=timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds),
        text=text.upper(),
    )


def parse_instant(value: object) -> datetime:
    """An ISO 8601 date or datetime (or a date/datetime object) as an aware UTC datetime, 1970–2999.

    A value without an offset is local time, as SpiffWorkflow reads it.
    """
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time())
    else:
        text = _text(value, "date")
        if text.upper().startswith(("P", "R")):
            raise TimerValueError(f"{_shown(text)} is a duration or a cycle where the timer needs a date")
        when = _parse_date_text(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCALTZ)
    when = when.astimezone(UTC)
    if when < EARLIEST:
        raise TimerValueError(f"the timer date {_shown(value)} is before 1970")
    if when >= LATEST:
        raise TimerValueError(f"the timer date {_shown(value)} is after 2999")
    return when


def _parse_date_text(text: str) -> datetime:
    try:
        week = _WEEK_DATE.fullmatch(text)
        if week is not None:
            year, number, weekday, rest = week.groups()
            day = date.fromisocalendar(int(year), int(number), int(weekday))
            return datetime.fromisoformat(day.isoformat() + (rest or ""))
        return datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise TimerValueError(f"{_shown(text)} is not an ISO 8601 date such as 2027-06-30T16:00:00Z") from None


def shift(start: datetime, duration: Duration, times: int = 1) -> datetime:
    """``start`` plus ``times`` durations: calendar months first (clamped to month end), then the rest."""
    if duration.months:
        index = start.year * 12 + start.month - 1 + times * duration.months
        year, month = divmod(index, 12)
        if not 1 <= year <= 9999:
            raise TimerValueError(f"the timer {duration.text} × {times} leaves the calendar")
        start = start.replace(year=year, month=month + 1, day=min(start.day, monthrange(year, month + 1)[1]))
    try:
        return start + duration.fixed * times
    except OverflowError:
        raise TimerValueError(f"the timer {duration.text} × {times} leaves the calendar") from None


def due_after(value: object, now: datetime) -> datetime:
    """When a duration timer started at ``now`` is due."""
    return shift(now.astimezone(LOCALTZ), parse_duration(value))


def start_cycle(value: object, now: datetime) -> dict[str, Any]:
    """The stored state of a cycle timer (``R/P1M``, ``R5/2027-01-31T00:00:00Z/P1M``, ``R/P1M/end``).

    Keeps SpiffWorkflow's keys (``cycles``, ``next``, ``duration``) and adds the anchor,
    period and occurrence index the calendar arithmetic needs.
    """
    text = _text(value, "cycle")
    parts = text.split("/")
    if len(parts) not in (2, 3) or not parts[0].upper().startswith("R"):
        raise TimerValueError(f"{_shown(text)} is not an ISO 8601 cycle such as R/P1M or R3/2027-01-31/P1M")
    count = parts[0][1:]
    if count and not count.isdigit():
        raise TimerValueError(f"{_shown(text)} does not start with a repeat count such as R or R12")
    if count and (len(count) > 6 or not 0 < int(count) <= MAX_REPEATS):
        raise TimerValueError(f"a timer cycle repeats 1 to {MAX_REPEATS} times, not {_shown(count)}")
    cycles = int(count) if count else -1
    if len(parts) == 2:  # R/P1M: the first occurrence one period from now
        period, anchor, index = parse_duration(parts[1]), now.astimezone(LOCALTZ), 1
    elif parts[1].upper().startswith("P"):  # R/P1M/end: as SpiffWorkflow, start one period before the end
        period = parse_duration(parts[1])
        anchor, index = shift(_instant_keeping_offset(parts[2]), period, -1), 0
    elif parts[2].upper().startswith("P"):  # R/start/P1M
        period, anchor, index = parse_duration(parts[2]), _instant_keeping_offset(parts[1]), 0
    else:
        raise TimerValueError(f"the timer cycle {_shown(text)} needs a period such as P1M")
    if period.approximately() < MIN_CYCLE_PERIOD:
        raise TimerValueError(f"a timer cycle period must be at least one minute, not {period.text}")
    return {
        "cycles": cycles,
        "next": shift(anchor, period, index).isoformat(),
        "duration": period.approximately().total_seconds(),
        "anchor": anchor.isoformat(),
        "period": period.text,
        "index": index,
    }


def _instant_keeping_offset(text: str) -> datetime:
    # Calendar arithmetic happens in the offset the author wrote; bounds are checked in UTC.
    when = parse_instant(text)
    parsed = _parse_date_text(text)
    return when.astimezone(parsed.tzinfo or LOCALTZ)


def advance_cycle(state: dict[str, Any]) -> None:
    """Move a cycle's stored state to its next occurrence (anchor + n periods, no drift)."""
    if "period" in state:
        state["index"] += 1
        state["next"] = shift(datetime.fromisoformat(state["anchor"]), parse_duration(state["period"]),
                              state["index"]).isoformat()
    else:  # a cycle stored before calendar arithmetic: SpiffWorkflow's fixed step
        state["next"] = (datetime.fromisoformat(state["next"]) + timedelta(seconds=state["duration"])).isoformat()


def timer_kind(event_definition: object) -> str | None:
    """``"date"``, ``"duration"`` or ``"cycle"`` for a SpiffWorkflow timer definition, else None."""
    if isinstance(event_definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(event_definition, DurationTimerEventDefinition):
        return "duration"
    if isinstance(event_definition, TimeDateEventDefinition):
        return "date"
    return None


def plain_literal(text: str) -> str | None:
    """The ISO 8601 value when a timer's text is written as plain text (``P7D``), else None.

    Camunda, Flowable and the OMG read a timer's text as ISO 8601; SpiffWorkflow evaluates it as
    an expression (``P7D`` is an unknown name, ``2027-01-01`` is 2025). Text shaped like an
    ISO 8601 date, duration or cycle is taken as that literal; anything else stays an expression.
    """
    stripped = text.strip()
    return stripped if _PLAIN_LITERAL.fullmatch(stripped) else None


def check_timer_literal(expression: str, kind: str | None = None) -> None:
    """Refuse an absurd literal timer value at deploy; raises ValueError with a one-line message.

    ``expression`` is the timer expression as written in the diagram (``'P1D'`` with its
    quotes). An expression that is not a plain string literal is evaluated at run time and
    checked then; it passes here. ``kind`` is ``"date"``, ``"duration"`` or ``"cycle"``
    (see :func:`timer_kind`); without it the value's first letter decides.
    """
    try:
        value = ast.literal_eval(expression.strip()) if len(expression) <= 1000 else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return
    if value is None or isinstance(value, bool):
        return
    if not isinstance(value, str):
        raise TimerValueError(f"a timer value must be ISO 8601 text, not {type(value).__name__}")
    kind = kind or ("cycle" if value.strip().upper().startswith("R") else
                    "duration" if value.strip().upper().startswith(("P", "-")) else "date")
    if kind == "cycle":
        start_cycle(value, EARLIEST)
    elif kind == "duration":
        parse_duration(value)
    else:
        parse_instant(value)

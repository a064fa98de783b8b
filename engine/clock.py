"""Clocks the engine runs on.

SpiffWorkflow reads the wall clock itself when it evaluates timers; the engine
sets ``current_time`` around every run so that timers, due dates and audit
records all see the engine's clock (a test's fixed clock, or the system one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; tests and the CLI's ``tick --now`` use it."""

    def __init__(self, start: datetime) -> None:
        self.now = _aware(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (may go backwards: a test may rewind)."""
        self.now = _aware(when)

    def advance(self, **delta: float) -> datetime:
        """Move forward by a ``timedelta(**delta)`` and return the new time."""
        self.now = self.now + timedelta(**delta)
        return self.now


_current: ContextVar[Clock | None] = ContextVar("rectiflow_engine_clock", default=None)


def current_time() -> datetime:
    """The time of the run in progress, or the system time outside a run."""
    clock = _current.get()
    return clock() if clock is not None else system_clock()


@contextlib.contextmanager
def running_on(clock: Clock) -> Iterator[None]:
    """Make ``clock`` the time source for everything run inside the block."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

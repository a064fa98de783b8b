"""Firing due timers from a scheduler job or a command: one instance per committed unit of work.

The loop is "new unit of work → lock and fire one due instance → commit" until nothing due is
left or the tick's time is spent (:data:`TICK_SECONDS`; each instance has its own limit,
``engine.step_limits.TIMER_STEP_SECONDS``). A slow or failing instance never holds back or
rolls back the others, and any number of scheduler processes can run it side by side: on
PostgreSQL each takes an instance no other holds (``SKIP LOCKED``), and a process killed
mid-batch loses only its uncommitted instance, which another process (or its restart) fires.
Each instance is tried at most once per tick: one that failed waits for the next tick.

``Replica`` is this process as its ``scheduler_heartbeat`` row names it (``host:pid``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.heartbeat import record_heartbeat
from engine.timer_firing import TimerFiring

from .services import Services

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0  # a tick stops taking new instances after this long; the rest wait for the next tick


@dataclass
class TimerRun:
    """What one pass over the due timers did."""

    advanced: list[int] = field(default_factory=list)  # instances whose timers fired
    failed: list[int] = field(default_factory=list)  # instances whose attempt failed (recorded on their timers)
    left: list[int] = field(default_factory=list)  # instances left this tick: lost a race, or failed
    error: str | None = None  # what stopped the pass early (the database), if anything


def fire_due_timers(
    found: Services, now: datetime | None = None, *, seconds: float = TICK_SECONDS,
    progress: Callable[[TimerRun], None] | None = None, raise_errors: bool = False,
) -> TimerRun:
    """Fire every due timer this process can lock, each instance in a unit of work of its own.

    ``now``: the time to fire at (default: the engine's clock, read afresh for each instance).
    ``progress`` is called after each instance (a heartbeat during a long pass). A database
    failure ends the pass: a job logs it and keeps it in ``TimerRun.error``; with ``raise_errors``
    (a command, whose ``failures()`` says it in one line) it is raised. What was committed stays.
    """
    engine = found.workflow_engine
    run = TimerRun()
    left: set[int] = set()
    advanced: set[int] = set()
    started = time.monotonic()
    while time.monotonic() - started <= seconds:
        firing: TimerFiring | None = None
        try:
            with found.unit_of_work() as session:
                firing = engine.fire_next_due_timer(session, now, passed=left, advanced=advanced)
        except Exception as exc:
            if raise_errors:
                raise
            if firing is None:  # no instance was reached: the database is unwell; the next tick tries again
                log.exception("timer tick failed; it will be retried on the next tick")
                run.error = _first_line(exc)
                return run
            # Its commit failed: nothing of it was written, and the others go on.
            log.exception("the timers of instance %d could not be committed; retried on the next tick",
                          firing.instance_id)
            firing = TimerFiring(firing.instance_id, advanced=False, error=_first_line(exc))
        if firing is None:
            return run
        if firing.advanced:
            advanced.add(firing.instance_id)
            run.advanced.append(firing.instance_id)
        else:
            left.add(firing.instance_id)
            run.left.append(firing.instance_id)
            if firing.error is not None:
                run.failed.append(firing.instance_id)
        if progress is not None:
            progress(run)
    log.warning("timer tick out of time after %.0f s; the rest wait for the next tick", seconds)
    return run


@dataclass
class Replica:
    """This scheduler process: its heartbeat row's name, start, tick interval and next tick."""

    name: str
    started_at: datetime
    interval_seconds: float
    next_tick: Callable[[], datetime | None] = lambda: None
    _beaten: float = field(default=0.0, repr=False)

    @classmethod
    def of_this_process(cls, started_at: datetime, interval_seconds: float,
                        next_tick: Callable[[], datetime | None] = lambda: None) -> Replica:
        """The replica ``host:pid``."""
        return cls(f"{socket.gethostname()}:{os.getpid()}", started_at, interval_seconds, next_tick)

    def beat(self, found: Services, *, fired: int, error: str | None, tick_done: bool = True) -> None:
        """Record that this replica is alive, in a small transaction of its own; a failure is only logged.

        ``tick_done``: a tick ended (counted); False for a beat in the middle of a long tick."""
        at = found.workflow_engine.clock()
        # A tick longer than the interval is followed at once by the next (never earlier than now).
        next_tick = max(self.next_tick() or at + timedelta(seconds=self.interval_seconds), at)
        try:
            with found.unit_of_work() as session:
                record_heartbeat(session, self.name, started_at=self.started_at, at=at, next_tick_at=next_tick,
                                 fired=fired, error=error, tick_done=tick_done)
        except Exception as exc:
            log.warning("scheduler heartbeat not recorded: %s", _first_line(exc))
        self._beaten = time.monotonic()

    def beat_while_busy(self, found: Services) -> Callable[[TimerRun], None]:
        """A ``progress`` callback: beats once per interval during a long pass, so the status does not
        take a busy replica for a stopped one."""

        def progress(run: TimerRun) -> None:
            if time.monotonic() - self._beaten >= self.interval_seconds:
                self.beat(found, fired=len(run.advanced), error=None, tick_done=False)

        return progress


def _first_line(exc: BaseException) -> str:
    # A database error says what went wrong in its driver's error, not in SQLAlchemy's wrapping.
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__

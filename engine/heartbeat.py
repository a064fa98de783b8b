"""Scheduler replicas and the state of timer firing: heartbeats, the due backlog, lateness, incidents.

Each scheduler process (a replica, named ``host:pid``) writes its own ``scheduler_heartbeat``
row at every tick, in a small transaction of its own. :func:`scheduler_status` reads the rows
and the timer table the way ``rectiflow scheduler --status`` shows them: a replica not heard
from for more than ``STOPPED_AFTER_INTERVALS`` intervals has stopped (or hangs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .incidents import MAX_TIMER_ATTEMPTS
from .models import SchedulerHeartbeat, Timer

STOPPED_AFTER_INTERVALS = 3
# Rows of replicas gone this long are deleted by the next heartbeat of any replica.
FORGOTTEN_AFTER = timedelta(days=7)


def record_heartbeat(
    session: Session, replica: str, *, started_at: datetime, at: datetime, next_tick_at: datetime | None,
    fired: int, error: str | None, tick_done: bool = True,
) -> None:
    """Upsert ``replica``'s row: alive at ``at``, next tick at ``next_tick_at``, ``fired`` instances
    advanced by its last tick, and ``error`` (None: the tick went well); ``tick_done`` counts a
    finished tick (False: a beat during a long one). Flushes."""
    row = session.get(SchedulerHeartbeat, replica)
    if row is None:
        row = SchedulerHeartbeat(replica=replica, started_at=started_at)
        session.add(row)
    row.last_tick_at = at
    row.next_tick_at = next_tick_at
    row.last_fired = fired
    row.last_error = error
    if tick_done:
        row.ticks = (row.ticks or 0) + 1
        row.failed_ticks = (row.failed_ticks or 0) + (1 if error is not None else 0)
    session.execute(
        delete(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.replica != replica, SchedulerHeartbeat.last_tick_at < at - FORGOTTEN_AFTER)
        .execution_options(synchronize_session=False)
    )
    session.flush()


@dataclass(frozen=True)
class ReplicaState:
    """One replica as the status shows it."""

    replica: str
    started_at: datetime
    last_tick_at: datetime | None
    next_tick_at: datetime | None
    last_fired: int
    last_error: str | None
    ticks: int
    failed_ticks: int
    age: timedelta  # since its last tick (or its start, before its first tick)
    stopped: bool


@dataclass(frozen=True)
class SchedulerStatus:
    """Replicas, the backlog of due timers, the oldest one's lateness and the open incidents at ``now``."""

    now: datetime
    replicas: list[ReplicaState]
    due: int  # timers due now and still tried (incidents excluded)
    retrying: int  # of those, how many failed before
    oldest_due_at: datetime | None
    incidents: int

    @property
    def lateness(self) -> timedelta | None:
        """How late the oldest due timer is (None: nothing is due)."""
        return None if self.oldest_due_at is None else self.now - self.oldest_due_at


def scheduler_status(session: Session, now: datetime, *, interval_seconds: float) -> SchedulerStatus:
    """What the schedulers are doing at ``now``; a replica silent for more than
    ``STOPPED_AFTER_INTERVALS`` x ``interval_seconds`` counts as stopped."""
    silent = timedelta(seconds=interval_seconds * STOPPED_AFTER_INTERVALS)
    replicas = []
    for row in session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.replica)):
        age = now - (row.last_tick_at or row.started_at)
        replicas.append(ReplicaState(row.replica, row.started_at, row.last_tick_at, row.next_tick_at,
                                     row.last_fired, row.last_error, row.ticks or 0, row.failed_ticks or 0, age,
                                     stopped=age > silent))
    due, retrying, oldest = session.execute(
        select(func.count(Timer.id), func.count(Timer.id).filter(Timer.attempts > 0), func.min(Timer.due_at))
        .where(Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
    ).one()
    incidents = session.scalar(select(func.count(Timer.id)).where(Timer.attempts >= MAX_TIMER_ATTEMPTS)) or 0
    return SchedulerStatus(now, replicas, due, retrying, oldest, incidents)

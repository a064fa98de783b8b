"""Firing due timers: each instance on its own, so one bad instance never holds back the rest.

Every instance with a due timer advances in its own step (:mod:`engine.step`: a savepoint
of the caller's transaction, under a time limit). Whatever goes wrong in it — a bad timer value, a script error, data
that cannot be saved, a database refusal, a bug — rolls back that savepoint alone; the
attempt and a one-line error naming the element are recorded in the outer transaction
(:mod:`engine.incidents`), and the batch goes on. A lost race is left to the winner.

Two ways to drive it: :func:`fire_due_timers` fires a batch in the caller's one transaction
(tests, ``rectiflow tick`` replays of old); :func:`fire_next_due_timer` locks and fires ONE
instance, so a scheduler can commit each on its own and several schedulers (replicas) can
share the work: on PostgreSQL the instance is taken ``FOR UPDATE SKIP LOCKED``, so each replica
takes a different one, and the due timers are read again under the lock, so a timer another
replica fired a moment ago is not fired twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Container
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .actor import SYSTEM
from .errors import ConflictError, one_line
from .failures import as_failure
from .incidents import MAX_TIMER_ATTEMPTS, record_failure
from .models import ProcessInstance, Timer
from .step import Audit, StepSkipped, instance_step
from .step_limits import MAX_ROUNDS, check_time
from .timers import waiting_timers

if TYPE_CHECKING:
    from .runtime import WorkflowEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimerFiring:
    """What became of one instance's due timers: advanced, or not (``error`` says why when it failed)."""

    instance_id: int
    advanced: bool
    error: str | None = None


def fire_due_timers(
    engine: WorkflowEngine, session: Session, now: datetime, *, limit: int, time_budget: float | None
) -> list[int]:
    """Advance the instances whose timers are due at ``now``; returns the ids of those that advanced.

    Instances not reached within ``time_budget`` seconds wait for the next tick.
    """
    instance_ids = session.scalars(
        select(Timer.instance_id)
        .where(Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
        .group_by(Timer.instance_id)
        .order_by(func.min(Timer.due_at))
        .limit(limit)
    ).all()
    advanced = []
    started = time.monotonic()
    for instance_id in instance_ids:
        if time_budget is not None and time.monotonic() - started > time_budget:
            log.warning("timer tick out of time; %d instance(s) wait for the next tick",
                        len(instance_ids) - instance_ids.index(instance_id))
            break
        if fire_instance_timers(engine, session, instance_id, now).advanced:
            advanced.append(instance_id)
    session.flush()
    return advanced


def fire_next_due_timer(
    engine: WorkflowEngine, session: Session, now: datetime, *,
    passed: Collection[int] = (), advanced: Container[int] = (),
) -> TimerFiring | None:
    """Lock one instance with a timer due at ``now`` that nobody else holds, and fire it; None when none is left.

    The instance stays locked until the caller's transaction ends, which the caller commits at
    once. ``passed``: instances this tick tried and left (failed, lost a race), not taken again.
    ``advanced``: instances this tick advanced; one found due again is left for the next tick
    (returned as not advanced) rather than fired twice in one tick.
    """
    instance_id = _lock_next_due(session, now, passed)
    if instance_id is None:
        return None
    if instance_id in advanced:
        log.warning("instance %d is still due after its timers fired; it waits for the next tick", instance_id)
        return TimerFiring(instance_id, advanced=False)
    return fire_instance_timers(engine, session, instance_id, now)


def fire_instance_timers(engine: WorkflowEngine, session: Session, instance_id: int, now: datetime) -> TimerFiring:
    """Fire one instance's due timers in its own step; a failure is recorded on its timers, never raised."""
    try:
        fired = _fire_instance(engine, session, instance_id, now)
    except ConflictError:
        # Someone else changed the instance: not its fault; the next tick sees their result.
        log.info("timer of instance %d lost a race; it is retried on the next tick", instance_id)
        return TimerFiring(instance_id, advanced=False)
    except Exception as exc:  # any failure of this one instance, whatever its type
        message = one_line(as_failure(exc))
        log.warning("timer of instance %d failed: %s", instance_id, message)
        record_failure(session, instance_id, now, message)
        return TimerFiring(instance_id, advanced=False, error=message)
    return TimerFiring(instance_id, advanced=fired)


def _lock_next_due(session: Session, now: datetime, passed: Collection[int]) -> int | None:
    """The instance with the earliest due timer that no other transaction holds, locked (PostgreSQL).

    ``SKIP LOCKED`` makes concurrent schedulers take different instances instead of queueing
    behind one another; SQLite has one writer at a time and no row locks (the clause is left out).
    """
    query = (
        select(ProcessInstance.id)
        .join(Timer, Timer.instance_id == ProcessInstance.id)
        .where(Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
        .order_by(Timer.due_at)  # the due_at index's order: a seek, not a sort of every due timer
        .limit(1)
        .with_for_update(of=ProcessInstance, skip_locked=True)
    )
    if passed:
        query = query.where(ProcessInstance.id.not_in(list(passed)))
    instance_id: int | None = session.scalar(query)
    return instance_id


def _fire_instance(engine: WorkflowEngine, session: Session, instance_id: int, now: datetime) -> bool:
    """Fire the instance's due timers in one step; False when another scheduler or person got there first."""
    due: list[str] = []

    def due_timers(_instance: ProcessInstance) -> bool:
        # Read again under the lock: a scheduler that won the race has fired them already.
        due.extend(session.scalars(
            select(Timer.bpmn_id)
            .where(Timer.instance_id == instance_id, Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
        ))
        return bool(due)

    audit = Audit(SYSTEM, "timer")
    try:
        # Another scheduler (or a person) holding the instance is left to it (skip_locked).
        # SpiffWorkflow fires a timer strictly after its due time; "due at now" must fire now.
        with instance_step(engine.store, session, instance_id, now=now, run_at=now + timedelta(microseconds=1),
                           seconds=engine.timer_step_seconds, audit=audit, skip_locked=True,
                           ready=due_timers) as step:
            audit.detail = {"timers": sorted(set(due))}
            # A cycle timer fires once per refresh; catch up on every period that has passed.
            for _ in range(MAX_ROUNDS):
                step.advance()
                if not any(when <= now for _, when in waiting_timers(step.workflow)):
                    break
                check_time()
    except StepSkipped:
        return False
    return True

"""Firing due timers: each instance on its own, so one bad instance never holds back the rest.

Every instance with a due timer advances in its own step (:mod:`engine.step`: a savepoint
of the caller's transaction, under a time limit). Whatever goes wrong in it — a bad timer value, a script error, data
that cannot be saved, a database refusal, a bug — rolls back that savepoint alone; the
attempt and a one-line error naming the element are recorded in the outer transaction
(:mod:`engine.incidents`), and the batch goes on. A lost race is left to the winner.
"""

from __future__ import annotations

import logging
import time
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
        try:
            fired = _fire_instance(engine, session, instance_id, now)
        except ConflictError:
            # Someone else changed the instance: not its fault; the next tick sees their result.
            log.info("timer of instance %d lost a race; it is retried on the next tick", instance_id)
            continue
        except Exception as exc:  # any failure of this one instance, whatever its type
            message = one_line(as_failure(exc))
            log.warning("timer of instance %d failed: %s", instance_id, message)
            record_failure(session, instance_id, now, message)
            continue
        if fired:
            advanced.append(instance_id)
    session.flush()
    return advanced


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

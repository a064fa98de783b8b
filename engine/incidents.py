"""Timers that keep failing: their attempts, the incidents they become, and retrying one.

A due timer whose instance fails to advance records the attempt and a one-line error.
After ``MAX_TIMER_ATTEMPTS`` it is an *incident*: the scheduler stops trying it on every
tick, the audit log says so once, and an administrator looks at it, fixes the cause
(the data, a deadline, the diagram) and retries it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .actor import SYSTEM, Actor
from .audit import record
from .errors import NotFound, TaskStateError
from .models import Timer

# Timers that failed this often wait for an administrator instead of retrying on every tick.
MAX_TIMER_ATTEMPTS = 5
# A skipped incident's attempts: far above MAX_TIMER_ATTEMPTS, so the scheduler never takes it
# again (it selects attempts < MAX_TIMER_ATTEMPTS) and the list of incidents no longer shows it.
# A change of the timer's due time (the instance re-plans it) starts it from zero again.
SKIPPED_TIMER_ATTEMPTS = 1_000_000


def record_failure(session: Session, instance_id: int, now: datetime, message: str) -> None:
    """Count a failed attempt on the instance's due timers; audit those it makes incidents.

    Runs in the caller's transaction after the instance's savepoint rolled back, so the
    record survives the rollback of the work that failed.
    """
    failing = (Timer.instance_id == instance_id, Timer.due_at <= now, Timer.attempts < MAX_TIMER_ATTEMPTS)
    ids = list(session.scalars(select(Timer.id).where(*failing)))
    if not ids:
        return
    session.execute(
        update(Timer).where(Timer.id.in_(ids))
        .values(attempts=Timer.attempts + 1, last_error=message)
        .execution_options(synchronize_session=False)
    )
    became = session.execute(
        select(Timer.id, Timer.bpmn_id).where(Timer.id.in_(ids), Timer.attempts >= MAX_TIMER_ATTEMPTS)
        .order_by(Timer.id)
    ).all()
    for timer_id, bpmn_id in became:
        record(session, at=now, actor=SYSTEM, action="incident", instance_id=instance_id, bpmn_id=bpmn_id,
               detail={"timer": timer_id, "attempts": MAX_TIMER_ATTEMPTS, "error": message})


def list_incidents(session: Session, *, limit: int = 200) -> list[Timer]:
    """Timers that gave up after ``MAX_TIMER_ATTEMPTS``, the longest overdue first."""
    return list(session.scalars(
        select(Timer).where(Timer.attempts >= MAX_TIMER_ATTEMPTS, Timer.attempts < SKIPPED_TIMER_ATTEMPTS)
        .order_by(Timer.due_at, Timer.id).limit(limit)
    ))


def retry_incident(session: Session, timer_id: int, actor: Actor, *, at: datetime) -> Timer:
    """Make an incident due again on the next tick (its attempts start from zero); audited."""
    result = session.execute(
        update(Timer).where(Timer.id == timer_id, Timer.attempts >= MAX_TIMER_ATTEMPTS,
                            Timer.attempts < SKIPPED_TIMER_ATTEMPTS)
        .values(attempts=0)
        .execution_options(synchronize_session=False)
    )
    timer = session.get(Timer, timer_id, populate_existing=True)
    if timer is None:
        raise NotFound(f"timer {timer_id} does not exist")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise TaskStateError(f"timer {timer_id} is not an incident: it has failed {timer.attempts} time(s)")
    record(session, at=at, actor=actor.key, action="incident_retry", instance_id=timer.instance_id,
           bpmn_id=timer.bpmn_id, detail={"timer": timer_id, "last_error": timer.last_error})
    session.flush()
    return timer


def skip_incident(session: Session, timer_id: int, actor: Actor, reason: str, *, at: datetime) -> Timer:
    """Give up an incident's timer: it will not fire again and the instance stays as it is; audited with ``reason``.

    The reason is required (an administrator says why the step is skipped); a timer that is not
    an incident (any more) is a TaskStateError, so of two administrators acting at once one wins.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise TaskStateError("say why the incident is skipped")
    result = session.execute(
        update(Timer).where(Timer.id == timer_id, Timer.attempts >= MAX_TIMER_ATTEMPTS,
                            Timer.attempts < SKIPPED_TIMER_ATTEMPTS)
        .values(attempts=SKIPPED_TIMER_ATTEMPTS)
        .execution_options(synchronize_session=False)
    )
    timer = session.get(Timer, timer_id, populate_existing=True)
    if timer is None:
        raise NotFound(f"timer {timer_id} does not exist")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise TaskStateError(f"timer {timer_id} is not an incident")
    record(session, at=at, actor=actor.key, action="incident_skip", instance_id=timer.instance_id,
           bpmn_id=timer.bpmn_id, detail={"timer": timer_id, "reason": reason, "last_error": timer.last_error})
    session.flush()
    return timer

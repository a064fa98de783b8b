"""One due instance at a time, locked so that schedulers side by side take different ones.

``fire_next_due_timer`` is what each scheduler replica calls in a unit of work of its own: it
locks the instance with the earliest due timer that no other transaction holds (PostgreSQL:
``FOR UPDATE SKIP LOCKED``) and fires it. These tests hold real, committing sessions side by
side, as two replicas would.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Actor, Timer
from engine.models import AuditEntry
from engine.runtime import MAX_TIMER_ATTEMPTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
ADMIN = Actor("admin")


def started(sessions, wf_engine, clock, *delays: str) -> list[int]:
    """Instances of poison_duration (a day, then ``delay``), committed; their first timers due a day later."""
    with sessions() as s:
        wf_engine.deploy_path(s, FIXTURES / "poison_duration.bpmn", actor="admin")
        ids = [wf_engine.start(s, "poison_duration", {"delay": delay}, actor=ADMIN).id for delay in delays]
        s.commit()
    clock.advance(days=1, hours=1)
    return ids


def fired(sessions) -> dict[int, int]:
    with sessions() as s:
        return dict(s.execute(select(AuditEntry.instance_id, func.count()).where(AuditEntry.action == "timer")
                              .group_by(AuditEntry.instance_id)).tuples().all())


def test_two_replicas_at_once_take_different_instances_and_each_fires_once(committing_sessions, wf_engine, clock,
                                                                             db_kind):
    if db_kind != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time, one scheduler")
    first, second = started(committing_sessions, wf_engine, clock, "P1D", "P1D")
    with committing_sessions() as one, committing_sessions() as two:
        taken = wf_engine.fire_next_due_timer(one, clock())  # holds its instance until it commits
        other = wf_engine.fire_next_due_timer(two, clock())  # skips it rather than waiting
        assert taken is not None and other is not None
        assert {taken.instance_id, other.instance_id} == {first, second}
        assert taken.advanced and other.advanced
        assert wf_engine.fire_next_due_timer(two, clock()) is None  # nothing due that no one holds
        one.commit()
        two.commit()
    with committing_sessions() as three:
        assert wf_engine.fire_next_due_timer(three, clock()) is None
    assert fired(committing_sessions) == {first: 1, second: 1}


def test_a_replica_that_dies_before_committing_leaves_its_instance_to_the_next(committing_sessions, wf_engine,
                                                                              clock):
    [instance] = started(committing_sessions, wf_engine, clock, "P1D")
    with committing_sessions() as dying:
        firing = wf_engine.fire_next_due_timer(dying, clock())
        assert firing is not None and firing.advanced
        dying.rollback()  # what the database does with the transaction of a killed process
    with committing_sessions() as survivor:
        firing = wf_engine.fire_next_due_timer(survivor, clock())
        survivor.commit()
    assert firing is not None and (firing.instance_id, firing.advanced) == (instance, True)
    assert fired(committing_sessions) == {instance: 1}


def test_a_failing_instance_is_tried_once_per_tick_and_never_holds_back_the_next(committing_sessions, wf_engine,
                                                                                 clock):
    bad, good = started(committing_sessions, wf_engine, clock, "-P1D", "P1D")
    left: set[int] = set()
    firings = []
    while True:  # a scheduler's tick: one unit of work per instance, failures left for the next tick
        with committing_sessions() as s:
            firing = wf_engine.fire_next_due_timer(s, clock(), passed=left)
            s.commit()
        if firing is None:
            break
        firings.append(firing)
        if not firing.advanced:
            left.add(firing.instance_id)
    assert sorted((f.instance_id, f.advanced) for f in firings) == sorted([(bad, False), (good, True)])
    [failure] = [f for f in firings if not f.advanced]
    assert "'Timer_delay' failed" in (failure.error or "") and "cannot be negative" in (failure.error or "")
    assert fired(committing_sessions) == {good: 1}
    with committing_sessions() as s:
        [timer] = s.scalars(select(Timer).where(Timer.instance_id == bad)).all()
        assert timer.attempts == 1 < MAX_TIMER_ATTEMPTS  # recorded and committed, despite the rollback of its step


def test_an_instance_still_due_after_it_fired_is_not_fired_twice_in_one_tick(committing_sessions, wf_engine, clock):
    [instance] = started(committing_sessions, wf_engine, clock, "P1D")
    with committing_sessions() as s:
        # Its second timer is due too by then; this tick advanced it once already.
        firing = wf_engine.fire_next_due_timer(s, clock() + timedelta(days=2), advanced={instance})
        s.commit()
    assert firing is not None and (firing.instance_id, firing.advanced) == (instance, False)
    assert fired(committing_sessions) == {}

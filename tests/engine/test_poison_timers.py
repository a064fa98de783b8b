"""Poison pills: one instance whose timer step fails, whatever the cause, never holds back the others.

Each case starts 20 healthy instances and one poisoned instance of a real diagram
(tests/fixtures/bpmn/poison_*.bpmn) and ticks: the 20 fire in the same tick, the bad one
records its attempt and a one-line error naming the element, and after the last retry it
is an incident. No tick takes more than a few seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from engine import Actor, InstanceStatus, ProcessInstance, Timer, WorkflowFailure
from engine.models import AuditEntry
from engine.property_values import checked_due, checked_text
from engine.runtime import MAX_TIMER_ATTEMPTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
HEALTHY = 20
TICK_SECONDS = 5.0  # "a few seconds", with room for a loaded CI machine
ADMIN = Actor("admin")


@dataclass(frozen=True)
class Poison:
    diagram: str
    healthy: dict[str, Any]
    poisoned: dict[str, Any]
    element: str
    words: str


POISONS = {
    "bad_date": Poison("poison_date", {"when": "2026-03-01T00:00:00+00:00"}, {"when": "1900-01-01"},
                       "Timer_date", "before 1970"),
    "not_a_date": Poison("poison_date", {"when": "2026-03-01T00:00:00+00:00"}, {"when": "next Tuesday"},
                         "Timer_date", "not an ISO 8601 date"),
    "negative_duration": Poison("poison_duration", {"delay": "P1D"}, {"delay": "-P1D"},
                                "Timer_delay", "cannot be negative"),
    "huge_duration": Poison("poison_duration", {"delay": "P1D"}, {"delay": "P99999999Y"},
                            "Timer_delay", "longer than 100 years"),
    "tuple_key": Poison("poison_script", {"recipe": "plain"}, {"recipe": "tuple_key"},
                        "Script_build", "not tuple"),
    "oversize_item_key": Poison("poison_property", {"width": 5, "reviewer": "r1", "number": 1},
                                {"width": 300, "reviewer": "r1", "number": 1},
                                "Task_review", "property 'item_key'"),
    "oversize_candidate_user": Poison("poison_property", {"width": 5, "reviewer": "r1", "number": 1},
                                      {"width": 5, "reviewer": "r" * 101, "number": 1},
                                      "Task_review", "property 'candidate_user'"),
    # a = [0] * 100; b = [a] * 1000; built = [b] * 1000: a hundred million items by reference
    "shared_references": Poison("poison_script", {"recipe": "plain"}, {"recipe": "shared_references"},
                                "Script_build", ""),
}


def _timed_tick(wf_engine, session, now) -> list[int]:
    started = time.monotonic()
    fired = wf_engine.fire_due_timers(session, now)
    assert time.monotonic() - started < TICK_SECONDS
    return fired


def _timers(session, instance_id: int) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)))


def _audit(session, instance_id: int, action: str) -> list[AuditEntry]:
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.instance_id == instance_id, AuditEntry.action == action)
    ))


@pytest.mark.parametrize("cause", list(POISONS))
def test_one_poisoned_instance_never_holds_back_the_healthy_ones(session, wf_engine, clock, cause):
    poison = POISONS[cause]
    wf_engine.deploy_path(session, FIXTURES / f"{poison.diagram}.bpmn", actor="admin")
    healthy = [wf_engine.start(session, poison.diagram, poison.healthy, actor=ADMIN).id for _ in range(HEALTHY)]
    bad = wf_engine.start(session, poison.diagram, poison.poisoned, actor=ADMIN).id
    clock.advance(days=1, hours=1)

    assert sorted(_timed_tick(wf_engine, session, clock())) == sorted(healthy)
    for instance_id in healthy:  # each moved past its first timer
        assert "Timer_first" not in {t.bpmn_id for t in _timers(session, instance_id)}
    [timer] = _timers(session, bad)
    assert timer.bpmn_id == "Timer_first" and timer.attempts == 1
    assert f"'{poison.element}'" in timer.last_error and poison.words in timer.last_error
    assert "\n" not in timer.last_error and "Traceback" not in timer.last_error

    for attempt in range(2, MAX_TIMER_ATTEMPTS + 1):
        clock.advance(minutes=1)
        assert _timed_tick(wf_engine, session, clock()) == []
        session.refresh(timer)
        assert timer.attempts == attempt
    assert _audit(session, bad, "incident")[0].detail["timer"] == timer.id
    assert [t.id for t in wf_engine.incidents(session)] == [timer.id]
    clock.advance(minutes=1)
    assert _timed_tick(wf_engine, session, clock()) == []  # an incident is not retried on its own
    session.refresh(timer)
    assert timer.attempts == MAX_TIMER_ATTEMPTS and len(_audit(session, bad, "incident")) == 1
    assert session.get(ProcessInstance, bad).status == InstanceStatus.RUNNING


def test_an_incident_is_retried_by_an_administrator_and_audited(session, wf_engine, clock):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    bad = wf_engine.start(session, "poison_duration", {"delay": "-P1D"}, actor=ADMIN).id
    clock.advance(days=2)
    for _ in range(MAX_TIMER_ATTEMPTS):
        wf_engine.fire_due_timers(session, clock())
    [timer] = wf_engine.incidents(session)

    retried = wf_engine.retry_incident(session, timer.id, Actor("ops"))
    assert retried.attempts == 0 and wf_engine.incidents(session) == []
    [entry] = _audit(session, bad, "incident_retry")
    assert entry.actor == "ops" and entry.detail["timer"] == timer.id
    wf_engine.fire_due_timers(session, clock())  # tried again on the next tick (and fails again)
    session.refresh(timer)
    assert timer.attempts == 1
    with pytest.raises(Exception, match="is not an incident"):
        wf_engine.retry_incident(session, timer.id, Actor("ops"))
    with pytest.raises(Exception, match="does not exist"):
        wf_engine.retry_incident(session, 10**9, Actor("ops"))


def test_an_unexpected_error_is_recorded_in_one_line_and_logged_with_its_traceback(
    session, wf_engine, clock, monkeypatch, caplog
):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    good = wf_engine.start(session, "poison_duration", {"delay": "P1D"}, actor=ADMIN).id
    clock.advance(days=2)
    saves = wf_engine.store.save

    def broken_save(session, instance, *args):
        if instance.id == good:
            raise RuntimeError("disk on fire\nsecond line")
        return saves(session, instance, *args)

    monkeypatch.setattr(wf_engine.store, "save", broken_save)
    assert wf_engine.fire_due_timers(session, clock()) == []
    [timer] = _timers(session, good)
    assert timer.last_error == "the process failed: disk on fire" and timer.attempts == 1
    assert "Traceback" in caplog.text and "RuntimeError: disk on fire" in caplog.text


def test_a_database_error_in_one_instance_leaves_the_batch_usable(session, wf_engine, clock, monkeypatch):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    [first, broken, last] = [wf_engine.start(session, "poison_duration", {"delay": "P1D"}, actor=ADMIN).id
                             for _ in range(3)]
    clock.advance(days=2)
    saves = wf_engine.store.save

    def save_then_fail(session, instance, *args):
        saves(session, instance, *args)
        if instance.id == broken:  # PostgreSQL aborts the transaction here; only the savepoint may go
            session.execute(text("SELECT no_such_column FROM no_such_table"))

    monkeypatch.setattr(wf_engine.store, "save", save_then_fail)
    assert sorted(wf_engine.fire_due_timers(session, clock())) == [first, last]
    [timer] = _timers(session, broken)
    assert timer.bpmn_id == "Timer_first" and timer.attempts == 1 and "no_such" in timer.last_error
    assert "\n" not in timer.last_error


def test_a_step_past_its_time_limit_is_stopped_and_recorded(session, wf_engine, clock):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    slow = wf_engine.start(session, "poison_duration", {"delay": "P1D"}, actor=ADMIN).id
    clock.advance(days=2)
    wf_engine.timer_step_seconds = 0.0
    assert wf_engine.fire_due_timers(session, clock()) == []
    [timer] = _timers(session, slow)
    assert "ran longer than 0 s and was stopped" in timer.last_error


def test_a_scheduler_that_lost_the_race_writes_nothing(session, wf_engine, clock):
    from engine.timer_firing import _fire_instance

    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    instance = wf_engine.start(session, "poison_duration", {"delay": "P1D"}, actor=ADMIN)
    clock.advance(days=1, hours=1)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]  # the winner
    version = instance.version
    # The loser took the lock after the winner committed: nothing is due any more.
    assert _fire_instance(wf_engine, session, instance.id, clock()) is False
    session.refresh(instance)
    assert instance.version == version and len(_audit(session, instance.id, "timer")) == 1


@pytest.mark.parametrize("delay", ["-P1D", "P99999999Y", "P101Y", "soon", "PT", 5])
def test_a_bad_timer_value_is_a_workflow_failure_naming_the_timer(session, wf_engine, clock, delay):
    wf_engine.deploy_path(session, FIXTURES / "poison_duration.bpmn", actor="admin")
    instance = wf_engine.start(session, "poison_duration", {"delay": "P1D"}, actor=ADMIN)
    clock.advance(days=1, hours=1)

    def poison(data: dict[str, Any]) -> bool:
        data["delay"] = delay
        return True

    started = time.monotonic()
    with pytest.raises(WorkflowFailure, match=r"^'Timer_delay' failed: .*(timer|ISO 8601)") as failure:
        wf_engine.amend(session, instance.id, ADMIN, poison, reason="test")  # runs on: the first timer fires
    assert time.monotonic() - started < 1.0
    assert failure.value.bpmn_id == "Timer_delay" and "\n" not in str(failure.value)


def test_a_timer_row_carries_the_item_key_of_its_timer(session, wf_engine):
    wf_engine.deploy_path(session, FIXTURES / "poison_property.bpmn", actor="admin")
    instance = wf_engine.start(session, "poison_property", {"width": 1, "reviewer": "r1", "number": 7}, actor=ADMIN)
    [timer] = _timers(session, instance.id)
    assert timer.item_key == "first:7"


@pytest.mark.parametrize(("name", "value", "words"), [
    ("candidate_unit", "u" * 101, "101 characters; at most 100 fit"),
    ("item_key", "k" * 1_000_000, "1,000,000 characters; at most 200 fit"),
    ("candidate_user", "a\x00b", "contains a NUL character"),
    ("candidate_user", ["r1"], "must be text, not list"),
    ("due", "1900-01-01", "before 1970"),
    ("due", "someday", "not an ISO 8601 date"),
    ("due", 20270630, "must be an ISO 8601 date, not int"),
])
def test_property_values_are_checked_against_their_columns(name, value, words):
    check = (lambda: checked_due("Task_x", value)) if name == "due" else (lambda: checked_text("Task_x", name, value))
    with pytest.raises(WorkflowFailure, match=f"^property '{name}' of 'Task_x' failed: .*{words}"):
        check()

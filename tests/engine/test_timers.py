"""Timers: isolation of failing instances, calendar months, and bounded timer values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import Actor, Timer
from engine.runtime import MAX_TIMER_ATTEMPTS
from engine.timer_values import (
    TimerValueError,
    advance_cycle,
    check_timer_literal,
    due_after,
    parse_instant,
    start_cycle,
)

from ..lifecycle_helpers import SUPERVISOR, deploy_lifecycle, finish_measures, open_tasks, start, timers, work

WAIT_THEN_SCRIPT = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="wait" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pause" />
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>'P1D'</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="pause" targetRef="act" />
    <bpmn:scriptTask id="act"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>result = 10 / divisor</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="act" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_failing_instances_are_isolated_and_give_up(session, wf_engine, clock):
    wf_engine.deploy(session, WAIT_THEN_SCRIPT, "wait.bpmn", actor="admin")
    bad = wf_engine.start(session, "wait", {"divisor": 0}, actor=Actor("admin"))
    good = wf_engine.start(session, "wait", {"divisor": 2}, actor=Actor("admin"))
    clock.advance(days=2)

    assert wf_engine.fire_due_timers(session, clock()) == [good.id]
    session.refresh(good)
    assert good.status.value == "completed"
    [timer] = session.scalars(select(Timer).where(Timer.instance_id == bad.id)).all()
    assert timer.attempts == 1 and "'act' failed" in timer.last_error and "division by zero" in timer.last_error

    for _ in range(MAX_TIMER_ATTEMPTS + 2):
        wf_engine.fire_due_timers(session, clock() + timedelta(minutes=1))
    session.refresh(timer)
    assert timer.attempts == MAX_TIMER_ATTEMPTS  # waits for an administrator now
    session.refresh(bad)
    assert bad.status.value == "running"


def test_a_monthly_cycle_follows_the_calendar_seven_reports_in_215_days(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1, long_term=True)  # report_interval P1M, from 5 January
    finish_measures(session, wf_engine, instance.id)
    for _ in range(43):  # a tick every five days: 215 days
        clock.advance(days=5)
        wf_engine.fire_due_timers(session, clock())
    assert len(open_tasks(session, instance.id, "Task_periodic_report")) == 7  # 31-day months give 6
    [cycle] = [t for t in timers(session, instance.id) if t.bpmn_id == "Timer_periodic_report"]
    assert cycle.due_at == datetime(2026, 9, 5, 1, 0, tzinfo=UTC)  # the 5th of every month, no drift


def test_from_31_january_months_end_on_the_last_day_of_shorter_months(session, wf_engine, clock):
    clock.set(datetime(2026, 1, 31, 1, 0, tzinfo=UTC))
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1, long_term=True)
    finish_measures(session, wf_engine, instance.id)
    seen = []
    for _ in range(3):
        [timer] = [t for t in timers(session, instance.id) if t.bpmn_id == "Timer_periodic_report"]
        seen.append(timer.due_at.date().isoformat())
        clock.set(timer.due_at)
        assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    assert seen == ["2026-02-28", "2026-03-31", "2026-04-30"]


def test_the_look_back_waits_six_calendar_months(session, wf_engine, clock):
    clock.set(datetime(2026, 8, 31, 1, 0, tzinfo=UTC))
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id)
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    [lookback] = timers(session, instance.id)
    assert lookback.due_at == datetime(2027, 2, 28, 1, 0, tzinfo=UTC)  # lookback_delay P6M


def test_calendar_arithmetic_never_drifts():
    cycle = start_cycle("R/P1M", datetime(2024, 1, 31, 9, 0, tzinfo=UTC))
    nexts = [cycle["next"]]
    for _ in range(3):
        advance_cycle(cycle)
        nexts.append(cycle["next"])
    assert [n[:10] for n in nexts] == ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]
    assert due_after("P1Y", datetime(2024, 2, 29, tzinfo=UTC)).date().isoformat() == "2025-02-28"
    assert due_after("P1M", datetime(2026, 1, 31, tzinfo=UTC)).date().isoformat() == "2026-02-28"


@pytest.mark.parametrize(("literal", "words"), [
    ("'-P1D'", "cannot be negative"),
    ("'P99999999Y'", "longer than 100 years"),
    ("'P101Y'", "longer than 100 years"),
    ("'P1X'", "not an ISO 8601 duration"),
    ("'1969-12-31T23:00:00Z'", "before 1970"),
    ("'3000-01-01'", "after 2999"),
    ("'tomorrow'", "not an ISO 8601 date"),
    ("'R/PT0S'", "at least one minute"),
    ("'R99999/P1D'", "repeats 1 to 10000 times"),
    ("'R/2026-01-01/2026-02-01'", "needs a period"),
    ("42", "must be ISO 8601 text"),
])
def test_absurd_timer_literals_are_refused_with_a_message(literal, words):
    with pytest.raises(ValueError, match=words):
        check_timer_literal(literal)


@pytest.mark.parametrize("expression", ["'P1D'", "'R/P1M'", "'R12/2027-01-31T00:00:00+08:00/P1M'",
                                        "'2999-12-31T15:59:59+00:00'", "'2027-W05-3'", "delay", "measure['deadline']"])
def test_sane_timer_literals_and_expressions_pass(expression):
    check_timer_literal(expression)


def test_a_timer_date_must_be_a_sane_instant():
    assert parse_instant("2027-06-30T16:00:00Z") == datetime(2027, 6, 30, 16, 0, tzinfo=UTC)
    with pytest.raises(TimerValueError, match="not an ISO 8601 date"):
        parse_instant("2027-02-30")

"""Timers: a failing instance does not hold back the others, and stops retrying after a few attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import Actor, Timer
from engine.runtime import MAX_TIMER_ATTEMPTS

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

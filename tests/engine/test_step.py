"""Complete, amend and timers run in one step skeleton; the engine uses the collaborators it is handed.

A small real diagram: a person's task, a script, a one-day timer, a second script, a last
task. Each of the three ways an instance moves on loses a version race, and fails, and
must write nothing either time; the same step then succeeds in the same transaction.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update

from engine import Actor, ConflictError, HumanTask, ProcessInstance, Timer, WorkflowEngine, WorkflowFailure
from engine.models import AuditEntry
from engine.script_env import SandboxScriptEngine
from engine.serialization import StateSerializer

from ..conftest import ROOT

STAFF = Actor("s1", groups=frozenset({"staff"}))
ADMIN = Actor("admin")
GOOD = {"number": 1, "divisor": 1, "later": 1}
BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_step_probe" targetNamespace="https://rectiflow.example/tests">
  <bpmn:process id="step_probe" isExecutable="true">
    <bpmn:startEvent id="Event_start"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Event_start" targetRef="Task_work" />
    <bpmn:userTask id="Task_work" name="Work">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_group" value="staff" />
        <spiffworkflow:property name="item_key" value="'work:' + str(number)" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_work" targetRef="Script_stamp" />
    <bpmn:scriptTask id="Script_stamp">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:script>stamp = str(now())
ratio = 1 / divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Script_stamp" targetRef="Timer_wait" />
    <bpmn:intermediateCatchEvent id="Timer_wait">
      <bpmn:incoming>Flow_3</bpmn:incoming><bpmn:outgoing>Flow_4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_wait">
        <bpmn:timeDuration>'P1D'</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Timer_wait" targetRef="Script_after" />
    <bpmn:scriptTask id="Script_after">
      <bpmn:incoming>Flow_4</bpmn:incoming><bpmn:outgoing>Flow_5</bpmn:outgoing>
      <bpmn:script>after = 1 / later</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Script_after" targetRef="Task_last" />
    <bpmn:userTask id="Task_last" name="Last">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_group" value="staff" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>Flow_5</bpmn:incoming><bpmn:outgoing>Flow_6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Task_last" targetRef="Event_end" />
    <bpmn:endEvent id="Event_end"><bpmn:incoming>Flow_6</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def started(session, engine: WorkflowEngine) -> tuple[int, int]:
    """A deployed, started probe with its first task claimed: (instance id, task id)."""
    engine.deploy(session, BPMN, "step_probe.bpmn", actor="admin")
    instance = engine.start(session, "step_probe", GOOD, actor=ADMIN)
    [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    engine.claim(session, task.id, STAFF)
    return instance.id, task.id


def at_the_timer(session, engine: WorkflowEngine, clock, **data: Any) -> int:
    """A probe waiting on its one-day timer, the day over; its instance id."""
    instance_id, task_id = started(session, engine)
    engine.complete(session, task_id, STAFF, {**GOOD, **data})
    clock.advance(days=2)
    return instance_id


def snapshot(session, instance_id: int) -> dict[str, Any]:
    """What a user could see of an instance: its state, task rows, timers and audit trail."""
    session.flush()  # anything a failed step left unflushed would show here
    session.expire_all()
    instance = session.get(ProcessInstance, instance_id)
    return {
        "state": instance.state,
        "status": instance.status,
        "tasks": sorted((t.bpmn_id, t.status.value, t.assignee, t.item_key) for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id))),
        "timers": sorted((t.bpmn_id, t.due_at) for t in session.scalars(
            select(Timer).where(Timer.instance_id == instance_id))),
        "audit": session.scalars(select(AuditEntry.action).where(AuditEntry.instance_id == instance_id)
                                 .order_by(AuditEntry.id)).all(),
    }


def a_rival_saves_first(monkeypatch, session, engine: WorkflowEngine) -> None:
    """Between the step's lock and its save, someone else saves the instance (a new version token)."""
    load = engine.store.load

    def load_then_lose(instance):
        loaded = load(instance)
        table = ProcessInstance.__table__
        session.execute(update(table).where(table.c.id == instance.id).values(version=uuid4().hex))
        return loaded

    monkeypatch.setattr(engine.store, "load", load_then_lose)


def renumber(number: Any):
    def change(data: dict[str, Any]) -> bool:
        if "number" not in data:
            return False
        data["number"] = number
        return True

    return change


@pytest.mark.parametrize("step", ["complete", "amend", "timer"])
def test_a_lost_race_in_each_step_is_a_conflict_and_writes_nothing(session, wf_engine, clock, monkeypatch, step):
    if step == "timer":
        instance_id = at_the_timer(session, wf_engine, clock)
    else:
        instance_id, task_id = started(session, wf_engine)
    before = snapshot(session, instance_id)
    a_rival_saves_first(monkeypatch, session, wf_engine)

    def act():
        if step == "complete":
            return wf_engine.complete(session, task_id, STAFF, GOOD)
        if step == "amend":
            return wf_engine.amend(session, instance_id, ADMIN, renumber(2), reason="test")
        return wf_engine.fire_due_timers(session, clock())

    if step == "timer":
        assert act() == []  # the scheduler leaves the instance to the winner; no failed attempt is counted
        assert session.scalars(select(Timer.attempts).where(Timer.instance_id == instance_id)).all() == [0]
    else:
        with pytest.raises(ConflictError, match="someone else changed this process"):
            act()
    assert snapshot(session, instance_id) == before

    monkeypatch.undo()  # no rival this time: the same step goes through in the same transaction
    act()
    assert snapshot(session, instance_id)["audit"][-1] == step


@pytest.mark.parametrize("step", ["complete", "amend", "timer"])
def test_a_failure_in_each_step_is_a_workflow_failure_and_writes_nothing(session, wf_engine, clock, step):
    if step == "timer":
        instance_id = at_the_timer(session, wf_engine, clock, later=0)
    else:
        instance_id, task_id = started(session, wf_engine)
    before = snapshot(session, instance_id)

    if step == "complete":
        with pytest.raises(WorkflowFailure, match="^'Script_stamp' failed: .*division by zero"):
            wf_engine.complete(session, task_id, STAFF, {**GOOD, "divisor": 0})
    elif step == "amend":
        # The new state is saved before the open task's item key is re-evaluated and refused.
        with pytest.raises(WorkflowFailure, match="^property 'item_key' of 'Task_work' failed: .*at most 200"):
            wf_engine.amend(session, instance_id, ADMIN, renumber("9" * 300), reason="test")
    else:
        assert wf_engine.fire_due_timers(session, clock()) == []
        [(attempts, error)] = session.execute(
            select(Timer.attempts, Timer.last_error).where(Timer.instance_id == instance_id)).all()
        assert attempts == 1 and error.startswith("'Script_after' failed: ") and "division by zero" in error
    assert snapshot(session, instance_id) == before

    # The transaction is still usable and nothing half-done is cached: the fixed step goes through.
    if step == "complete":
        wf_engine.complete(session, task_id, STAFF, GOOD)
    elif step == "amend":
        wf_engine.amend(session, instance_id, ADMIN, renumber(2), reason="test")
    else:  # an administrator fixes the data; the amend runs on past the due timer
        wf_engine.amend(session, instance_id, ADMIN, lambda data: data.update(later=1) is None, reason="fix")
        assert ("Task_last", "open", None, None) in snapshot(session, instance_id)["tasks"]
    assert snapshot(session, instance_id)["audit"][-1] == ("amend" if step == "timer" else step)


class CountingSerializer(StateSerializer):
    """The stock serializer, counting the states it writes and reads."""

    def __init__(self) -> None:
        super().__init__()
        self.dumps = self.loads = 0

    def dump_state(self, workflow):
        self.dumps += 1
        return super().dump_state(workflow)

    def load_state(self, text, spec, subprocess_specs):
        self.loads += 1
        return super().load_state(text, spec, subprocess_specs)


def test_the_engine_uses_the_collaborators_it_is_handed(session, clock):
    parsers: list[SpiffBpmnParser] = []

    def parser_factory() -> SpiffBpmnParser:
        parsers.append(SpiffBpmnParser())
        return parsers[-1]

    serializer = CountingSerializer()
    long_ago = SandboxScriptEngine(clock=lambda: datetime(2001, 2, 3, tzinfo=UTC))
    engine = WorkflowEngine(clock, parser_factory=parser_factory, serializer=serializer, script_engine=long_ago,
                            cache_size=0)
    instance_id, task_id = started(session, engine)
    engine.complete(session, task_id, STAFF, GOOD)

    assert len(parsers) == 1 and parsers[0].get_process_ids() == ["step_probe"]
    assert (serializer.dumps, serializer.loads) == (2, 1)  # start saved; complete loaded (no cache) and saved
    workflow = engine.load_workflow(session, instance_id)
    assert workflow.script_engine is long_ago
    [waiting] = workflow.get_tasks(state=TaskState.WAITING)
    assert waiting.data["stamp"] == "2001-02-03 00:00:00+00:00"  # now() in the script read the engine handed in


def test_by_default_scripts_read_the_time_of_the_step(session, wf_engine, clock):
    instance_id, task_id = started(session, wf_engine)
    clock.advance(hours=5)
    wf_engine.complete(session, task_id, STAFF, GOOD)
    [waiting] = wf_engine.load_workflow(session, instance_id).get_tasks(state=TaskState.WAITING)
    assert waiting.data["stamp"] == str(clock())


def test_importing_the_engine_corrects_spiffworkflow_before_any_engine_exists():
    check = (
        "import engine\n"
        "from SpiffWorkflow.bpmn.specs.event_definitions import timer\n"
        "from SpiffWorkflow.util.task import TaskIterator\n"
        "print(timer.datetime.__name__, hasattr(TaskIterator.__init__, '__wrapped__'))\n"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["_EngineDatetime", "True"]

"""The sandbox inside SpiffWorkflow: scripts, conditions and timers run in it; deploy checks them all."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import (
    ScriptRejected,
)
from engine.script_env import SandboxScriptEngine, collect_scripts, validate_process_specs

NOW = datetime(2026, 3, 14, 2, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW






BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="review" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_1" />
    <bpmn:scriptTask id="Activity_1" name="Score">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_1" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_pass" sourceRef="Gateway_1" targetRef="EndPassed">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_fail" sourceRef="Gateway_1" targetRef="EndFailed">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">score &lt; 60</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="EndPassed" />
    <bpmn:endEvent id="EndFailed" />
  </bpmn:process>
</bpmn:definitions>
"""

SCRIPT = "score = sum(points)\ndue = iso(now() + timedelta(days=3))"


def _spec(script: str = SCRIPT, condition: str = "score &gt;= 60") -> BpmnProcessSpec:
    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.format(script=script, condition=condition).encode(), "review.bpmn")
    return parser.get_spec("review")


def _run(points: list[int]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(_spec(), script_engine=SandboxScriptEngine(clock))
    workflow.task_tree.data["points"] = points  # the root task's data flows to every task
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize(
    ("points", "score", "end"), [([40, 30], 70, "EndPassed"), ([10, 20], 30, "EndFailed")]
)
def test_workflow_runs_scripts_and_conditions_in_the_sandbox(points: list[int], score: int, end: str) -> None:
    workflow = _run(points)
    assert workflow.is_completed()
    assert workflow.data["score"] == score
    assert workflow.data["due"] == "2026-03-17T02:30:00+00:00"
    completed = {task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED)}
    assert {"Activity_1", "Gateway_1", end} <= completed
    assert ({"EndPassed", "EndFailed"} - {end}).isdisjoint(completed)


def test_workflow_script_error_is_reported_not_run() -> None:
    workflow = BpmnWorkflow(_spec(script="score = sum(points)\nleak = ().__class__"),
                            script_engine=SandboxScriptEngine(clock))
    workflow.task_tree.data["points"] = [1]
    with pytest.raises(Exception, match="__class__") as info:
        workflow.do_engine_steps()
    assert isinstance(info.value, ScriptRejected | WorkflowException)
    script_task = workflow.get_tasks(spec_name="Activity_1")[0]
    assert "leak" not in script_task.data and "score" not in script_task.data


def test_workflow_script_building_a_shared_blow_up_fails_that_task_quickly() -> None:
    script = "score = sum(points)\na = [0] * 100\nb = [a] * 1000\nc = [b] * 1000"
    workflow = BpmnWorkflow(_spec(script=script), script_engine=SandboxScriptEngine(clock))
    workflow.task_tree.data["points"] = [70]
    started = time.process_time()  # CPU time: the suite runs two test processes on two cores
    with pytest.raises(WorkflowException, match="value too large") as info:
        workflow.do_engine_steps()
    assert time.process_time() - started < 1
    assert getattr(info.value, "line_number", None) == 4
    script_task = workflow.get_tasks(spec_name="Activity_1")[0]
    assert "c" not in script_task.data and "score" not in script_task.data


def test_script_engine_exposes_clock_and_validates() -> None:
    engine = SandboxScriptEngine(clock)
    assert engine.clock is clock
    engine.validate("score >= 60")
    with pytest.raises(ScriptRejected):
        engine.validate("().__class__")


def test_collect_scripts_lists_every_script_and_condition() -> None:
    assert collect_scripts([_spec()]) == [
        ("Activity_1", "script", SCRIPT),
        ("Gateway_1", "condition", "score >= 60"),
        ("Gateway_1", "condition", "score < 60"),
    ]


def test_validate_rejects_a_script_task_naming_the_element(tripwires: Path) -> None:
    spec = _spec(script="x = 1\n__import__('os')")
    expected = (
        r"^script task 'Activity_1' is rejected: calling '__import__' is not allowed \(line 2, col 0\)$"
    )
    with pytest.raises(ScriptRejected, match=expected):
        validate_process_specs([spec])


def test_validate_rejects_a_gateway_condition_naming_the_element() -> None:
    spec = _spec(condition="().__class__ is not None")
    with pytest.raises(
        ScriptRejected,
        match=r"^condition of gateway 'Gateway_1' is rejected: attribute '__class__' is not allowed \(line 1",
    ):
        validate_process_specs([spec])


def test_validate_accepts_a_clean_process() -> None:
    validate_process_specs([_spec()])


RICH_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="rich" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Task_pre" />
    <bpmn:task id="Task_pre">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>a = 1</spiffworkflow:preScript>
        <spiffworkflow:postScript>b = 2</spiffworkflow:postScript>
      </bpmn:extensionElements>
    </bpmn:task>
    <bpmn:sequenceFlow id="f2" sourceRef="Task_pre" targetRef="Task_mi" />
    <bpmn:task id="Task_mi">
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>count + 1</bpmn:loopCardinality>
        <bpmn:completionCondition>done == True</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:task>
    <bpmn:sequenceFlow id="f3" sourceRef="Task_mi" targetRef="Task_loop" />
    <bpmn:task id="Task_loop">
      <bpmn:standardLoopCharacteristics>
        <bpmn:loopCondition>n &lt; 3</bpmn:loopCondition>
      </bpmn:standardLoopCharacteristics>
    </bpmn:task>
    <bpmn:sequenceFlow id="f4" sourceRef="Task_loop" targetRef="Timer_1" />
    <bpmn:intermediateCatchEvent id="Timer_1">
      <bpmn:timerEventDefinition>
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="Timer_1" targetRef="Cond_1" />
    <bpmn:intermediateCatchEvent id="Cond_1">
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression">ready == True</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f6" sourceRef="Cond_1" targetRef="Gw" />
    <bpmn:inclusiveGateway id="Gw" default="f8" />
    <bpmn:sequenceFlow id="f7" sourceRef="Gw" targetRef="End_1">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x &gt; 1</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f8" sourceRef="Gw" targetRef="End_2" />
    <bpmn:endEvent id="End_1" />
    <bpmn:endEvent id="End_2" />
    <bpmn:boundaryEvent id="Deadline" attachedToRef="Task_pre">
      <bpmn:timerEventDefinition>
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">measure['deadline']</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _rich_spec(timer: str = "'P1D'") -> BpmnProcessSpec:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(RICH_BPMN.format(timer=timer).encode(), "rich.bpmn")
    return parser.get_spec("rich")


def test_collect_scripts_finds_loops_timers_events_and_spiff_scripts() -> None:
    assert sorted(collect_scripts([_rich_spec()])) == sorted(
        [
            ("Task_pre", "prescript", "a = 1"),
            ("Task_pre", "postscript", "b = 2"),
            ("Deadline", "timer", "measure['deadline']"),
            ("Task_mi", "cardinality", "count + 1"),
            ("Task_mi", "completion condition", "done == True"),
            ("Task_loop", "loop condition", "n < 3"),
            ("Timer_1", "timer", "'P1D'"),
            ("Cond_1", "conditional event", "ready == True"),
            ("Gw", "condition", "x > 1"),
        ]
    )
    validate_process_specs([_rich_spec()])


def test_validate_rejects_a_timer_expression() -> None:
    with pytest.raises(ScriptRejected, match=r"^timer expression of 'Timer_1' is rejected: calling 'open'"):
        validate_process_specs([_rich_spec(timer="open('/etc/passwd')")])

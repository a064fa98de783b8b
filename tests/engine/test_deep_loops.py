"""A problem that loops for years must never stall (SpiffWorkflow stops at depth 1,000 by default)."""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from ..lifecycle_helpers import LEADER, OFFICER, deploy_lifecycle, open_tasks, start, work

RETURNS = 400


def test_four_hundred_returns_do_not_stall(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    for n in range(RETURNS):
        [submit] = open_tasks(session, instance.id, "Task_submit_progress")
        work(session, wf_engine, submit, OFFICER, progress=f"attempt {n}")
        [approve] = open_tasks(session, instance.id, "Task_approve_measure")
        work(session, wf_engine, approve, LEADER, review_decision="return", reason=f"not yet {n}")
    [submit] = open_tasks(session, instance.id)
    work(session, wf_engine, submit, OFFICER, progress="final")
    [approve] = open_tasks(session, instance.id)
    work(session, wf_engine, approve, LEADER, review_decision="approve")
    assert [t.bpmn_id for t in open_tasks(session, instance.id)] == ["Task_verify"]

    # Compaction keeps the stored tree small however long the history: steps stay cheap.
    workflow = wf_engine.load_workflow(session, instance.id)
    sizes = [len(workflow.tasks), *(len(sub.tasks) for sub in workflow.subprocesses.values())]
    assert max(sizes) < 200, sizes


LOOP_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge" />
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="work" />
    <bpmn:userTask id="work"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="decide" />
    <bpmn:exclusiveGateway id="decide" default="again"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>out</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="decide" targetRef="merge" />
    <bpmn:sequenceFlow id="out" sourceRef="decide" targetRef="end">
      <bpmn:conditionExpression>done == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="end"><bpmn:incoming>out</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_engine_walks_task_trees_deeper_than_spiffs_default():
    """Without compaction (bare SpiffWorkflow), 600 loops build a tree over 1,000 deep; it must not stall."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from engine import spiff_compat
    from engine.script_env import SandboxScriptEngine

    spiff_compat.apply()
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(LOOP_BPMN, filename="loop.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("loop"), script_engine=SandboxScriptEngine(clock=lambda: None))
    workflow.do_engine_steps()
    for n in range(601):
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(done=n == 600)
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    assert max(task.depth for task in workflow.get_tasks(state=TaskState.ANY_MASK)) > 1000

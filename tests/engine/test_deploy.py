"""Deploying diagrams: versions by content, clear one-line errors, scripts checked before storing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import DeployError, ProcessDefinition, ProcessInstance

from ..conftest import BPMN_DIR
from ..lifecycle_helpers import SUPERVISOR, deploy_lifecycle, finish_measures, open_tasks, start, work

LIFECYCLE = (BPMN_DIR / "rectification.bpmn").read_bytes()

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="tiny" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="act" />
    <bpmn:scriptTask id="act"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="act" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f4"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def tiny(script: str = "x = 1", condition: str = "x == 1") -> bytes:
    return MINIMAL.format(script=script, condition=condition).encode()


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_same_content_is_a_no_op_and_changed_content_a_new_version(session, wf_engine):
    [first] = wf_engine.deploy(session, LIFECYCLE, "rectification.bpmn", actor="admin")
    [again] = wf_engine.deploy(session, LIFECYCLE, "rectification.bpmn", actor="admin")
    assert first.created and not again.created and again.definition.id == first.definition.id
    changed = LIFECYCLE.replace("逐项核实 Verify".encode(), "逐项核实（复核） Verify".encode())
    [second] = wf_engine.deploy(session, changed, "rectification.bpmn", actor="admin")
    assert second.created and second.definition.version == 2
    assert count(session) == 2


def test_running_instances_keep_their_version(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    old = start(session, wf_engine, measures=1, problem_id=1)
    changed = LIFECYCLE.replace("逐项核实 Verify".encode(), "逐项核实（复核） Verify".encode())
    wf_engine.deploy(session, changed, "rectification.bpmn", actor="admin")
    new = start(session, wf_engine, measures=1, problem_id=2)
    assert session.get(ProcessInstance, old.id).definition.version == 1
    assert session.get(ProcessInstance, new.id).definition.version == 2
    for instance, name in ((old, "逐项核实 Verify"), (new, "逐项核实（复核） Verify")):
        finish_measures(session, wf_engine, instance.id)
        [verify] = open_tasks(session, instance.id)
        assert verify.name == name
        work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "rectification.bpmn: the file is empty"),
        (b"<bpmn:definitions", "not well-formed XML"),
        (b"\x00\x01\x02binary", "not well-formed XML"),
        (MINIMAL.replace('isExecutable="true"', 'isExecutable="false"').format(script="x=1", condition="x").encode(),
         "no executable process"),
        (tiny().replace(b'targetRef="act" />', b'targetRef="missing" />'), "missing"),
    ],
)
def test_malformed_diagrams_give_one_line_errors(session, wf_engine, content, message):
    with pytest.raises(DeployError) as info:
        wf_engine.deploy(session, content, "rectification.bpmn", actor="admin")
    assert message in str(info.value)
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    assert str(info.value).startswith("rectification.bpmn")
    assert count(session) == 0


@pytest.mark.parametrize(
    ("script", "condition", "element"),
    [
        ("__import__('os').system('touch /tmp/pwned')", "x == 1", "act"),
        ("x = ().__class__.__base__.__subclasses__()", "x == 1", "act"),
        ("x = getattr(x, '__globals__')", "x == 1", "act"),
        ("import os", "x == 1", "act"),
        ("x = 1", "().__class__.__bases__[0]", "gw"),
        ("x = 1", "open('/etc/passwd').read()", "gw"),
        ("x = 1", "eval('1')", "gw"),
        ("x = [c for c in ().__class__.__base__.__subclasses__()]", "x", "act"),
    ],
)
def test_script_payloads_are_rejected_at_deploy(session, wf_engine, script, condition, element):
    with pytest.raises(DeployError) as info:
        wf_engine.deploy(session, tiny(script, condition), "evil.bpmn", actor="admin")
    assert f"'{element}'" in str(info.value)
    assert count(session) == 0


def test_property_expressions_are_checked_too(session, wf_engine):
    evil = LIFECYCLE.replace(b"measure['unit']", b"measure.__class__", 1)
    with pytest.raises(DeployError, match="candidate_unit.*Task_submit_progress"):
        wf_engine.deploy(session, evil, "rectification.bpmn", actor="admin")


def test_a_harmless_diagram_deploys_and_runs_its_script(session, wf_engine):
    [result] = wf_engine.deploy(session, tiny("x = 40 + 2", "x == 42"), "tiny.bpmn", actor="admin")
    instance = wf_engine.start(session, "tiny", {}, actor=SUPERVISOR)
    assert result.definition.process_key == "tiny"
    assert instance.status.value == "completed"

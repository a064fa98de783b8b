"""Deploying diagrams: versions by content, clear one-line errors, scripts checked before storing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import DeployError, NotAllowed, ProcessDefinition, ProcessInstance

from ..conftest import BPMN_DIR
from ..lifecycle_helpers import SUPERVISOR, deploy_lifecycle, finish_measures, open_tasks, start, work
from .refusals import assert_actionable

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
         'no process is marked executable (isExecutable="true")'),
        (tiny().replace(b'targetRef="act" />', b'targetRef="missing" />'), "missing"),
    ],
)
def test_malformed_diagrams_give_one_line_errors(session, wf_engine, content, message):
    with pytest.raises(DeployError) as info:
        wf_engine.deploy(session, content, "rectification.bpmn", actor="admin")
    assert message in assert_actionable(info.value, "rectification.bpmn")
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
    assert f"'{element}'" in assert_actionable(info.value, "evil.bpmn")
    assert count(session) == 0


def test_property_expressions_are_checked_too(session, wf_engine):
    evil = LIFECYCLE.replace(b"measure['unit']", b"measure.__class__", 1)
    with pytest.raises(DeployError, match="candidate_unit.*Task_submit_progress") as info:
        wf_engine.deploy(session, evil, "rectification.bpmn", actor="admin")
    assert_actionable(info.value, "rectification.bpmn")


def test_a_harmless_diagram_deploys_and_runs_its_script(session, wf_engine):
    [result] = wf_engine.deploy(session, tiny("x = 40 + 2", "x == 42"), "tiny.bpmn", actor="admin")
    instance = wf_engine.start(session, "tiny", {}, actor=SUPERVISOR)
    assert result.definition.process_key == "tiny"
    assert instance.status.value == "completed"


# -- Deploy sees every element (issue 6, items 5 and 10) ----------------------------------------

FIXTURES = BPMN_DIR.parent / "tests" / "fixtures" / "bpmn"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refusal(session, wf_engine, content: bytes, source: str = "evil.bpmn") -> str:
    with pytest.raises(DeployError) as info:
        wf_engine.deploy(session, content, source, actor="admin")
    message = assert_actionable(info.value, source)
    assert count(session) == 0
    return message


def test_a_start_event_named_start_is_refused_before_its_script_is_lost(session, wf_engine):
    message = refusal(session, wf_engine, fixture("deploy_reserved_start.bpmn"))
    assert "element id 'Start' (startEvent \"开始 Start\", line 8) is reserved" in message
    assert "rename" in message


@pytest.mark.parametrize("reserved", ["Start", "End", "Root", "StartEventSplit", "StartEventJoin",
                                      "tiny.EndJoin", "act.BoundaryEventSplit", "gw.BoundaryEventJoin"])
def test_every_id_spiffworkflow_uses_internally_is_refused(session, wf_engine, reserved):
    content = tiny().replace(b'id="end"', f'id="{reserved}"'.encode()).replace(
        b'targetRef="end"', f'targetRef="{reserved}"'.encode())
    assert f"element id '{reserved}' (endEvent, line" in refusal(session, wf_engine, content)


def test_a_duplicate_id_is_refused(session, wf_engine):
    content = tiny().replace(b'<bpmn:sequenceFlow id="f4"', b'<bpmn:sequenceFlow id="f3"')
    assert "element id 'f3' (sequenceFlow, line 13) is already used on line 11" in refusal(
        session, wf_engine, content)


def test_a_script_spiffworkflow_never_reaches_is_still_checked(session, wf_engine):
    message = refusal(session, wf_engine, fixture("deploy_hidden_script.bpmn"))
    assert "script of 'Script_orphan' (scriptTask \"Never reached\", line 14) is rejected" in message


ORPHAN = b'<bpmn:endEvent id="end">'
HIDDEN = {
    "script in a non-executable process": (
        b'</bpmn:process><bpmn:process id="doc" isExecutable="false"><bpmn:scriptTask id="hid">'
        b"<bpmn:script>import os</bpmn:script></bpmn:scriptTask>", "script of 'hid'"),
    "condition of an unreachable flow": (
        b'<bpmn:sequenceFlow id="hid" sourceRef="nowhere" targetRef="end"><bpmn:conditionExpression>'
        b"x.__class__</bpmn:conditionExpression></bpmn:sequenceFlow>", "condition of 'hid' (sequenceFlow"),
    "timer of an orphan event": (
        b'<bpmn:intermediateCatchEvent id="hid"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        b"open('/etc/passwd').read()</bpmn:timeDuration></bpmn:timerEventDefinition>"
        b"</bpmn:intermediateCatchEvent>", "timer duration of 'hid'"),
    "pre-script of an orphan task": (
        b'<bpmn:task id="hid"><bpmn:extensionElements><spiffworkflow:preScript>eval("1")'
        b"</spiffworkflow:preScript></bpmn:extensionElements></bpmn:task>", "pre-script of 'hid'"),
    "property of an orphan task": (
        b'<bpmn:userTask id="hid"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="due" value="__import__(\'os\')" /></spiffworkflow:properties>'
        b"</bpmn:extensionElements></bpmn:userTask>", "property 'due' of 'hid'"),
    "multi-instance cardinality": (
        b'<bpmn:task id="hid"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>'
        b"().__class__</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>",
        "loop cardinality of 'hid'"),
}


@pytest.mark.parametrize("case", HIDDEN.keys())
def test_code_in_elements_spiffworkflow_ignores_is_checked(session, wf_engine, case):
    hidden, expected = HIDDEN[case]
    spiff_ns = b'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    content = tiny().replace(ORPHAN, hidden + ORPHAN).replace(b"<bpmn:definitions ", b"<bpmn:definitions " + spiff_ns)
    message = refusal(session, wf_engine, content)
    assert expected in message and "is rejected" in message


def test_a_script_in_a_foreign_namespace_element_is_checked(session, wf_engine):
    # SpiffWorkflow runs the text of any scriptTask child whose tag ends in 'script'.
    content = tiny().replace(b"<bpmn:script>x = 1</bpmn:script>", b'<x:script xmlns:x="urn:x">import os</x:script>')
    message = refusal(session, wf_engine, content)
    assert "script of 'act'" in message and "is rejected" in message


def test_a_lane_offers_its_tasks_to_the_group_it_declares_never_its_name(session, wf_engine):
    from engine import Actor

    from ..lifecycle_helpers import LEADER

    wf_engine.deploy(session, fixture("deploy_lanes.bpmn"), "lanes.bpmn", actor="admin")
    instance = wf_engine.start(session, "lanes", {}, actor=Actor("admin"))
    for bpmn_id, group, claimant, outsider in [
        ("Task_check", "supervision", SUPERVISOR, LEADER),   # lane id
        ("Task_sign", "leader", LEADER, SUPERVISOR),         # lane's declared candidate_group
        ("Task_follow_up", "supervision", SUPERVISOR, LEADER),  # inside a sub-process in that lane
    ]:
        [task] = open_tasks(session, instance.id)
        assert (task.bpmn_id, task.candidate_group) == (bpmn_id, group)
        with pytest.raises(NotAllowed):
            wf_engine.claim(session, task.id, outsider)
        work(session, wf_engine, task, claimant)
    assert session.get(ProcessInstance, instance.id).status.value == "completed"


def test_a_user_task_nobody_could_claim_is_refused(session, wf_engine):
    message = refusal(session, wf_engine, fixture("deploy_unclaimable.bpmn"))
    assert "user task 'Task_orphan' (userTask \"无人认领 Nobody's task\", line 10) can never be claimed" in message


def test_a_candidate_user_alone_makes_a_task_claimable(session, wf_engine):
    content = fixture("deploy_unclaimable.bpmn").replace(
        b"<bpmn:incoming>Flow_1", b'<bpmn:extensionElements><spiffworkflow:properties xmlns:spiffworkflow='
        b'"http://spiffworkflow.org/bpmn/schema/1.0/core"><spiffworkflow:property name="candidate_user" '
        b"value=\"'sup1'\" /></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>Flow_1")
    [result] = wf_engine.deploy(session, content, "user.bpmn", actor="admin")
    instance = wf_engine.start(session, "unclaimable", {}, actor=SUPERVISOR)
    [task] = open_tasks(session, instance.id)
    assert result.created and task.candidate_group is None and task.candidate_user == "sup1"
    assert wf_engine.claim(session, task.id, SUPERVISOR).assignee == "sup1"


@pytest.mark.parametrize(("definition", "value"), [("timeDuration", "'P99999999Y'"), ("timeDuration", "'-P1D'"),
                                                   ("timeDate", "'not a date'"), ("timeCycle", "'R/PT0S'")])
def test_an_absurd_literal_timer_is_refused_at_deploy(session, wf_engine, definition, value):
    timer = (f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:{definition}>{value}'
             f"</bpmn:{definition}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>").encode()
    message = refusal(session, wf_engine, tiny().replace(ORPHAN, timer + ORPHAN))
    kind = definition.removeprefix("time").lower()
    assert f"timer {kind} of 'wait' (intermediateCatchEvent, line 14) is rejected" in message

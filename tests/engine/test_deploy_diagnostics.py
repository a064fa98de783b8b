"""Refusals a modeler can act on (issue 14, item 4).

Every refusal names the file, the element's name (on one line, never cut mid-word), its id,
its BPMN type and its line, says what is wrong and what to do instead; ``check_diagram``
lists every problem of a file; no Python repr or exception class ever reaches the message.
"""

from __future__ import annotations

import re

import pytest

from engine import DeployError
from engine.deploy import check_diagram, parse_diagram
from engine.errors import DeployProblem

from ..conftest import ROOT
from .test_deploy import count, tiny

MODELERS = ROOT / "tests" / "fixtures" / "bpmn" / "modelers"
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
REPR = re.compile(r"<Element|object at 0x|TypeError|KeyError|AttributeError|ValueError|Traceback|\w+Exception\(")
NOT_EXECUTABLE = 'no process is marked executable (isExecutable="true")'


def modeler(name: str) -> bytes:
    return (MODELERS / name).read_bytes()


def actionable(problem: DeployProblem, source: str, *, element_id: str, element_type: str, line: int,
               name: str | None = None) -> str:
    """Check one refusal names everything a modeler needs; returns its message."""
    message = problem.message
    assert message.startswith(f"{source}: ") and "\n" not in message, message
    assert problem.file == source
    assert (problem.element_id, problem.element_type, problem.line) == (element_id, element_type, line), problem
    assert f"'{element_id}'" in message and element_type in message and f"line {line}" in message, message
    if name is not None:
        assert problem.name == name and f'"{name}"' in message, message
    assert problem.hint and message.endswith(problem.hint), message
    assert not REPR.search(message), message
    return message


def only(content: bytes, source: str = "modeler.bpmn") -> DeployProblem:
    """The first problem ``parse_diagram`` raises (the same as ``check_diagram`` lists first)."""
    with pytest.raises(DeployError) as info:
        parse_diagram(content, source)
    problems = check_diagram(content, source)
    assert info.value.problems and str(info.value) == problems[0].message == info.value.problems[0].message
    return problems[0]


def test_no_executable_process_is_said_first_and_plainly():
    problems = check_diagram(modeler("no_executable.bpmn"), "no_executable.bpmn")
    message = actionable(problems[0], "no_executable.bpmn", element_id="no_executable", element_type="process",
                         line=3, name="Documentation only")
    assert message.startswith(f"no_executable.bpmn: {NOT_EXECUTABLE}")
    assert 'isExecutable="false"' in message
    # The reserved id 'Start' is still listed, after it.
    assert len(problems) == 2 and "element id 'Start'" in problems[1].message
    assert only(modeler("no_executable.bpmn"), "no_executable.bpmn").message == message


def test_a_file_without_any_process_says_so():
    content = modeler("no_executable.bpmn")
    start, end = content.index(b"<bpmn:process"), content.index(b"</bpmn:process>") + len(b"</bpmn:process>")
    problem = only(content[:start] + content[end:])
    assert problem.message.startswith(f"modeler.bpmn: {NOT_EXECUTABLE}: the file has no process at all")
    assert problem.line == 2 and problem.hint


def test_an_element_type_the_engine_cannot_run_names_it_with_its_whole_name():
    problem = only(modeler("refused_complex_gateway.bpmn"), "complex.bpmn")
    name = "Decide whether the complaint needs a second opinion from the legal department before the answer is…"
    message = actionable(problem, "complex.bpmn", element_id="Gateway_complex", element_type="complexGateway",
                         line=7, name=name)
    assert "cannot run a complexGateway" in message and "exclusive, inclusive or parallel gateway" in message
    assert "complaint\nneeds" not in message and "complaint needs" in message  # lines joined with a space


@pytest.mark.parametrize(("value", "words"), [
    ("P1X", "'P1X' is not an ISO 8601 duration"),
    ("2027-01-01", "'2027-01-01' is not an ISO 8601 duration"),
    ("-P1D", "cannot be negative"),
    ("P99999999Y", "longer than 100 years"),
])
def test_a_plain_text_timer_that_would_fail_at_run_time_is_refused(value, words):
    content = modeler("timer_iso_duration.bpmn").replace(b">P7D<", f">{value}<".encode())
    problem = only(content, "timers.bpmn")
    message = actionable(problem, "timers.bpmn", element_id="Timer_week", element_type="intermediateCatchEvent",
                         line=7, name="Wait a week")
    assert words in message and "ISO 8601 value such as P7D" in problem.hint


def test_a_human_abstract_task_nobody_can_claim_is_refused():
    content = re.sub(rb"<bpmn:laneSet.*?</bpmn:laneSet>", b"", modeler("abstract_tasks_human.bpmn"), flags=re.S)
    problems = check_diagram(content, "human.bpmn")
    assert [p.element_id for p in problems] == ["Task_think", "Task_sign", "Task_send", "Task_receive"]
    message = actionable(problems[1], "human.bpmn", element_id="Task_sign", element_type="manualTask", line=20,
                         name="Sign the paper copy")
    assert "can never be claimed" in message and "put it in a lane" in message


def test_an_unknown_abstract_tasks_setting_is_refused():
    content = modeler("abstract_tasks_human.bpmn").replace(b'value="human"', b'value="robots"')
    message = actionable(only(content), "modeler.bpmn", element_id="abstract_tasks_human", element_type="process",
                         line=6, name="Abstract tasks done by people")
    assert "abstractTasks property is 'robots'" in message and 'value="pass-through"' in message


def test_a_flow_to_nowhere_and_an_empty_executable_pool_are_refused():
    content = modeler("implicit_parallel_split.bpmn").replace(b'targetRef="Task_check_b"', b'targetRef="tns:Gone"')
    message = actionable(only(content), "modeler.bpmn", element_id="Flow_3", element_type="sequenceFlow", line=44)
    assert "its targetRef 'tns:Gone' is not in the file" in message
    pool = modeler("black_box_pool.bpmn").replace(b'isExecutable="false"', b'isExecutable="true"')
    start, end = pool.index(b"<bpmn:startEvent"), pool.index(b"</bpmn:process>")
    empty = pool[:start] + pool[end:]
    problem = only(empty)
    actionable(problem, "modeler.bpmn", element_id="black_box_pool", element_type="process", line=10,
               name="Handle the order")
    assert "has no start event, task or other flow node" in problem.message


def test_spiffworkflow_refusals_are_translated():
    # A process without a start event, and a gateway flow that is neither conditioned nor the default.
    no_start = re.sub(rb'<bpmn:startEvent .*?</bpmn:startEvent>|<bpmn:sequenceFlow id="Flow_1" [^>]*/>', b"",
                      modeler("abstract_tasks.bpmn"), flags=re.S)
    message = actionable(only(no_start), "modeler.bpmn", element_id="abstract_tasks", element_type="process",
                         line=3, name="Abstract tasks pass through")
    assert "has no start event" in message and "draw a start event" in message
    gateway = modeler("camunda_export.bpmn").replace(b' default="Flow_rejected"', b"")
    message = actionable(only(gateway), "modeler.bpmn", element_id="Flow_rejected", element_type="sequenceFlow",
                         line=82, name="no")
    assert "without a condition" in message and "default flow" in message


def test_xml_level_refusals_carry_a_hint_too():
    for content, element_id, element_type, hint in [
        (tiny("import os"), "act", "scriptTask", "no imports"),
        (tiny().replace(b'id="end"', b'id="End"').replace(b'targetRef="end"', b'targetRef="End"'), "End",
         "endEvent", "rename the element"),
    ]:
        problem = check_diagram(content, "x.bpmn")[0]
        assert (problem.element_id, problem.element_type, problem.file) == (element_id, element_type, "x.bpmn")
        assert problem.line and problem.hint and hint in problem.hint and problem.message.endswith(problem.hint)
        assert not REPR.search(problem.message)


def test_an_unclaimable_user_task_is_refused_with_a_hint():
    problem = only((FIXTURES / "deploy_unclaimable.bpmn").read_bytes(), "u.bpmn")
    actionable(problem, "u.bpmn", element_id="Task_orphan", element_type="userTask", line=10,
               name="无人认领 Nobody's task")


def test_check_diagram_lists_every_problem_of_a_file():
    lost = b'<bpmn:sequenceFlow id="lost" sourceRef="act" targetRef="nope" />'
    content = tiny("import os", "eval('1')").replace(b'targetRef="act" />', b'targetRef="act" />' + lost)
    problems = check_diagram(content, "many.bpmn")
    assert [p.element_id for p in problems] == ["act", "f3", "lost"]
    assert all(p.hint and p.line and p.file == "many.bpmn" for p in problems)
    assert check_diagram(modeler("camunda_export.bpmn"), "camunda.bpmn") == []


def test_a_refused_file_writes_nothing(session, wf_engine):
    with pytest.raises(DeployError):
        wf_engine.deploy(session, modeler("refused_complex_gateway.bpmn"), "complex.bpmn", actor="admin")
    assert count(session) == 0


MESSAGES = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:tns="urn:t" id="d"
                  targetNamespace="urn:t">
  <bpmn:message id="Message_1" name="order" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" name="Order"><bpmn:messageEventDefinition messageRef="tns:Message_1" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="c" />
    <bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition messageRef="tns:Message_1" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_prefixed_message_references_deploy_and_a_wrong_one_names_its_event():
    assert check_diagram(MESSAGES, "m.bpmn") == []
    problem = only(MESSAGES.replace(b"tns:Message_1", b"tns:Nope", 1), "m.bpmn")
    message = actionable(problem, "m.bpmn", element_id="s", element_type="startEvent", line=6, name="Order")
    assert "its messageRef 'tns:Nope' is not in the file" in message


def test_a_camunda_expression_beyond_plain_juel_is_refused_with_the_python_way_to_write_it():
    plain = modeler("camunda_export.bpmn").replace(b"decision == 'approve'", b"${decision == 'approve'}")
    assert check_diagram(plain, "modeler.bpmn") == []  # plain JUEL runs as the Python it means
    content = modeler("camunda_export.bpmn").replace(b"decision == 'approve'", b"${decision.equals('approve')}")
    message = actionable(only(content), "modeler.bpmn", element_id="Flow_approved", element_type="sequenceFlow",
                         line=79, name="yes")
    assert "condition of 'Flow_approved'" in message and "without ${…}" in message


def test_a_send_task_with_java_behind_it_is_refused_not_skipped():
    content = modeler("abstract_tasks.bpmn").replace(
        b'<bpmn:sendTask id="Task_send"', b'<bpmn:sendTask camunda:class="org.example.Post" id="Task_send"').replace(
        b"<bpmn:definitions ", b'<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')
    message = actionable(only(content), "modeler.bpmn", element_id="Task_send", element_type="sendTask", line=15,
                         name="Post the letter")
    assert "implementation the engine cannot run (class)" in message and "service task" in message


def test_a_link_without_its_catch_event_is_refused_naming_the_throw_event():
    link = (ROOT / "tests" / "fixtures" / "bpmn" / "conformance" / "link_events.bpmn").read_text(encoding="utf-8")
    broken = link.replace('name="page2" />', 'name="page3" />', 1)  # the throw now names a link nobody catches
    assert broken != link
    (problem,) = check_diagram(broken.encode(), "link.bpmn")  # a catch nobody throws to is merely unreachable
    message = actionable(problem, "link.bpmn", element_id="Event_01imthe", element_type="intermediateThrowEvent",
                         line=12, name="To page 2")
    assert "link 'page3' has no link catch event" in message


def test_a_service_task_whose_service_is_not_enabled_is_refused_at_deploy():
    from engine.services import build_registry

    content = (FIXTURES / "services" / "svc_deadline.bpmn").read_bytes()
    assert check_diagram(content, "svc_deadline.bpmn", services=build_registry(["set_deadline"])) == []
    (problem,) = check_diagram(content, "svc_deadline.bpmn", services=build_registry(["notify"]))
    message = actionable(problem, "svc_deadline.bpmn", element_id="Service_deadline", element_type="serviceTask",
                         line=17, name="Set deadline")
    assert "service 'set_deadline' is not enabled; enabled services: notify" in message
    assert "SERVICES" in problem.hint  # type: ignore[operator]
    with pytest.raises(DeployError):
        parse_diagram(content, "svc_deadline.bpmn", services=build_registry([]))


def test_is_executable_is_read_as_the_xsd_boolean_it_is():
    content = modeler("camunda_export.bpmn").replace(b'isExecutable="true"', b'isExecutable="1"')
    assert check_diagram(content, "modeler.bpmn") == []
    assert [p.message for p in check_diagram(content.replace(b'isExecutable="1"', b'isExecutable="0"'),
                                             "modeler.bpmn")][0].startswith(f"modeler.bpmn: {NOT_EXECUTABLE}")

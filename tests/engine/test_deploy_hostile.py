"""Hostile diagrams: every refusal is one clean line naming the file, never a traceback or a repr."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import DeployError
from engine.deploy import parse_diagram

from .refusals import assert_actionable
from .test_deploy import FIXTURES, count, tiny

MEG = 1_000_000
SPIFF = b'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
# What a leaked Python object or exception looks like in a message.
REPR = re.compile(r"\w+(Error|Exception)\(|<\w+[^>]* at 0x[0-9a-f]+>|Traceback|File \"")


def with_property(name: str, value: bytes) -> bytes:
    """The tiny diagram with a user task carrying one property (and a group, so it is claimable)."""
    task = (b'<bpmn:userTask id="ask"><bpmn:extensionElements><spiffworkflow:properties>'
            b'<spiffworkflow:property name="candidate_group" value="g" />'
            b'<spiffworkflow:property name="' + name.encode() + b'" value="' + value + b'" />'
            b"</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>")
    return tiny().replace(b"<bpmn:definitions ", b"<bpmn:definitions " + SPIFF).replace(
        b'<bpmn:endEvent id="end">', task + b'<bpmn:endEvent id="end">')


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
          b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&d;</bpmn:definitions>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')

HOSTILE = {
    "not well-formed": (tiny().replace(b"</bpmn:process>", b""), "not well-formed XML"),
    "undeclared entity": (tiny("x = &foo;"), "not well-formed XML: Entity 'foo' not defined"),
    "no namespace": (b'<definitions><process id="p" isExecutable="true"/></definitions>', "not a BPMN 2.0 diagram"),
    "wrong namespace": (tiny().replace(b"20100524/MODEL", b"20100524/OTHER"), "not a BPMN 2.0 diagram"),
    "billion laughs": (LAUGHS, "a DOCTYPE declaration is not allowed"),
    "external entity": (XXE, "a DOCTYPE declaration is not allowed"),
    "too large": (tiny().replace(b"</bpmn:definitions>", b"<!--" + b"x" * (6 * MEG) + b"--></bpmn:definitions>"),
                  "larger than 5 MB"),
    "too deep": (tiny().replace(b"</bpmn:process>", b"<a>" * 300 + b"</a>" * 300 + b"</bpmn:process>"),
                 "Excessive depth in document: 256"),
    "not UTF-8": (tiny("x = '\xe9'".encode("latin-1").decode("latin-1")).replace(b"\xc3\xa9", b"\xe9"),
                  "the file is not UTF-8 text"),
    "declared latin-1": (tiny().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), 'encoding="UTF-8"'),
    "million-character id": (tiny().replace(b'"act"', b'"' + b"a" * MEG + b'"'), "must be 1 to 200 characters"),
    "million-character tag": (tiny().replace(b"bpmn:endEvent", b"bpmn:" + b"e" * MEG), "Name too long"),
    "million-character process name": (
        tiny().replace(b'<bpmn:process id="tiny"', b'<bpmn:process name="' + b"n" * MEG + b'" id="tiny"'),
        "the name of 'tiny' (process"),
    "million-character group": (with_property("candidate_group", b"g" * MEG), "property 'candidate_group' of 'ask'"),
    "million-character event": (with_property("event", b"e" * MEG), "property 'event' of 'ask'"),
    "million-character expression": (with_property("item_key", b"1" * MEG), "property 'item_key' of 'ask'"),
    "lane id too long for a group": (
        tiny().replace(b'<bpmn:startEvent', b'<bpmn:laneSet id="ls"><bpmn:lane id="' + b"L" * 150 + b'" name="x">'
                       b"<bpmn:flowNodeRef>act</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet><bpmn:startEvent"),
        "is longer than 100 characters"),
    "million-character script": (tiny("x = " + "1+" * (MEG // 2) + "1"), "script of 'act'"),
    "property without a value": (
        tiny().replace(b"<bpmn:definitions ", b"<bpmn:definitions " + SPIFF).replace(
            b"<bpmn:incoming>f1", b'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
            b'name="form" /></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f1'),
        "element 'act' (scriptTask, line 6): SpiffWorkflow cannot read this element"),
    "chain too long to parse": (
        tiny().replace(b'targetRef="act"', b'targetRef="c0"').replace(b'<bpmn:scriptTask id="act">', b"".join(
            f'<bpmn:task id="c{i}" /><bpmn:sequenceFlow id="cf{i}" sourceRef="c{i}" targetRef="c{i + 1}" />'.encode()
            for i in range(600)) + b'<bpmn:task id="c600" /><bpmn:sequenceFlow id="cf600" sourceRef="c600" '
            b'targetRef="act" /><bpmn:scriptTask id="act">'),
        "the chain of elements is too long to read"),
    "lxml element in the message": (
        tiny().replace(b"<bpmn:script>", b"<bpmn:dataInputAssociation><bpmn:sourceRef>nope</bpmn:sourceRef>"
                       b"</bpmn:dataInputAssociation><bpmn:script>"),
        "its data association refers to 'nope', which is not in the file"),
}


@pytest.mark.parametrize("case", HOSTILE.keys())
def test_hostile_diagrams_are_refused_in_one_clean_line(session, wf_engine, case):
    content, expected = HOSTILE[case]
    started = time.monotonic()
    with pytest.raises(DeployError) as info:
        wf_engine.deploy(session, content, "hostile.bpmn", actor="admin")
    message = assert_actionable(info.value, "hostile.bpmn")
    assert expected in message
    assert message.startswith("hostile.bpmn: ") and "\n" not in message and len(message) < 400
    assert not REPR.search(message), message
    assert time.monotonic() - started < 3
    assert count(session) == 0


SEEDS = [tiny(), (FIXTURES / "deploy_lanes.bpmn").read_bytes()]
SPLICES = [b"<", b">", b"/>", b"&", b'"', b"'", b"\x00", b"\xff", b"Start", b"End", b"Root", b"</bpmn:process>",
           b"<bpmn:script>import os</bpmn:script>", b'id="x"', b"<!DOCTYPE d>", b"\xe9\x80\x80", b"]]>"]


@settings(max_examples=300, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), cut=st.tuples(st.floats(0, 1), st.integers(0, 40)),
       splice=st.one_of(st.sampled_from(SPLICES), st.binary(max_size=12)))
def test_mangled_diagrams_parse_or_give_one_clean_line(seed, cut, splice):
    start = int(cut[0] * len(seed))
    content = seed[:start] + splice + seed[start + cut[1]:]
    try:
        parse_diagram(content, "fuzz.bpmn")
    except DeployError as exc:
        message = str(exc)
        assert message.startswith("fuzz.bpmn: ") and "\n" not in message, message
        assert not REPR.search(message), message

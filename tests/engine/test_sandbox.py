"""The script sandbox: ordinary BPMN code works, attacks are refused without side effects."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import (
    ScriptError,
    ScriptRejected,
    _checked_expression,
    _checked_script,
    check_expression,
    check_script,
    evaluate,
    execute,
)
from engine.script_env import SandboxScriptEngine, collect_scripts, validate_process_specs

NOW = datetime(2026, 3, 14, 2, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


# --------------------------------------------------------------------------------------------------
# Ordinary code works


@pytest.mark.parametrize(
    ("source", "names", "expected"),
    [
        ("1 + 2 * 3 - 4 / 2", {}, 5.0),
        ("7 // 2 + 7 % 2 + 2 ** 10", {}, 1028),
        ("-x + +x", {"x": 3}, 0),
        ("approved == True", {"approved": True}, True),
        ("approved == True", {"approved": False}, False),
        ("1 < x <= 3 and x != 2", {"x": 3}, True),
        (
            "'a' in tags and 'z' not in tags and x is None and y is not None",
            {"tags": ["a"], "x": None, "y": 1},
            True,
        ),
        ("x['a'][0]", {"x": {"a": [42]}}, 42),
        ("x['a'][1:]", {"x": {"a": [1, 2, 3]}}, [2, 3]),
        ("{'k': [1, 2], 'n': (3, 4)}", {}, {"k": [1, 2], "n": (3, 4)}),
        ("[v * 2 for v in xs if v > 1]", {"xs": [1, 2, 3]}, [4, 6]),
        ("{k: v + 1 for k, v in d.items()}", {"d": {"a": 1}}, {"a": 2}),
        ("{v % 2 for v in range(5)}", {}, {0, 1}),
        ("sum(v for v in range(5))", {}, 10),
        ("'yes' if score >= 60 else 'no'", {"score": 75}, "yes"),
        (
            "f'{name}: {n:>3} / {ratio:.1f} {name!r}'",
            {"name": "A", "n": 5, "ratio": 0.25},
            "A:   5 / 0.2 'A'",
        ),
        ("len(xs) + min(xs) + max(xs) + abs(-2) + round(2.6)", {"xs": [1, 5]}, 13),
        ("sorted(xs, reverse=True)", {"xs": [2, 3, 1]}, [3, 2, 1]),
        ("any(x > 2 for x in xs) and all(x > 0 for x in xs)", {"xs": [1, 3]}, True),
        ("str(12) + str(int('3')) + str(float('1.5')) + str(bool(0))", {}, "1231.5False"),
        ("list(enumerate('ab', start=1))", {}, [(1, "a"), (2, "b")]),
        ("dict(zip(['a', 'b'], [1, 2]))", {}, {"a": 1, "b": 2}),
        ("' A,b '.strip().lower().split(',')", {}, ["a", "b"]),
        ("'-'.join(['a', 'b']).upper().replace('-', '+')", {}, "A+B"),
        ("d.get('missing', 0) + len(d.keys())", {"d": {"a": 1}}, 1),
        ("measure['deadline']", {"measure": {"deadline": "2026-04-01"}}, "2026-04-01"),
        ("date", {"date": "2026-01-01"}, "2026-01-01"),  # task data may shadow a helper's name
    ],
)
def test_expressions(source: str, names: dict[str, Any], expected: Any) -> None:
    assert evaluate(source, names) == expected


def test_script_assignments_write_task_data() -> None:
    data: dict[str, Any] = {"items": [3, 4], "approved": True}
    execute(
        "total = 0\n"
        "for i, item in enumerate(items):\n"
        "    if item == 4:\n"
        "        continue\n"
        "    total += item * 10\n"
        "status = 'ok' if approved else 'rejected'\n"
        "summary = {'total': total, 'count': len(items)}\n"
        "summary['names'] = [f'item-{n}' for n in items]\n"
        "items.append(5)\n"
        "first, second = items[0], items[1]\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    if n >= 3:\n"
        "        break\n"
        "del i\n",
        data,
    )
    assert data == {
        "items": [3, 4, 5],
        "approved": True,
        "total": 30,
        "status": "ok",
        "summary": {"total": 30, "count": 2, "names": ["item-3", "item-4"]},
        "first": 3,
        "second": 4,
        "n": 3,
        "item": 4,
    }


def test_external_names_are_read_only_fallback() -> None:
    data: dict[str, Any] = {}
    execute("copy = shared['x'] + 1", data, external={"shared": {"x": 1}})
    assert data == {"copy": 2}


def test_failed_script_leaves_task_data_unchanged() -> None:
    data: dict[str, Any] = {"a": 1}
    with pytest.raises(ScriptError, match="name 'missing' is not defined"):
        execute("a = 2\nb = 3\nc = missing", data)
    assert data == {"a": 1}


def test_checked_trees_are_cached() -> None:
    source = "cached_value_for_test + 1"
    assert evaluate(source, {"cached_value_for_test": 1}) == 2
    assert _checked_expression(source) is _checked_expression(source)
    assert _checked_script("y = 1") is _checked_script("y = 1")


def test_deep_nesting_is_rejected() -> None:
    assert evaluate("-" * 40 + "1", {}) == 1
    with pytest.raises(ScriptRejected, match="nesting this deep is not allowed"):
        check_expression("-" * 500 + "1")
    with pytest.raises(ScriptRejected, match="source too complex|nesting this deep|syntax error"):
        check_expression("(" * 10000 + "1" + ")" * 10000)


def test_date_helpers() -> None:
    assert evaluate("now()", {}, clock=clock) == NOW
    assert evaluate("now() + timedelta(days=1, hours=2)", {}, clock=clock) == NOW + timedelta(days=1, hours=2)
    assert evaluate("timedelta(weeks=1).total_seconds()", {}) == 7 * 86400
    # A bare date is midnight in Asia/Shanghai, returned in UTC.
    assert evaluate("parse_date('2026-04-01')", {}) == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert evaluate("parse_date('2026-04-01T08:00:00Z')", {}) == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    assert evaluate("parse_date(d) > now()", {"d": "2026-04-01"}, clock=clock) is True
    assert evaluate("datetime(2026, 4, 1, 9)", {}) == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    assert evaluate("date(2026, 1, 31)", {}) == date(2026, 1, 31)
    assert evaluate("add_months(date(2026, 1, 31), 1)", {}) == date(2026, 2, 28)
    assert evaluate("days_between('2026-03-10', now())", {}, clock=clock) == 4
    assert evaluate("iso(now())", {}, clock=clock) == "2026-03-14T02:30:00+00:00"
    assert evaluate("iso(timedelta(days=2, hours=3))", {}) == "P2DT3H"
    assert evaluate("now().year * 100 + now().month", {}, clock=clock) == 202603
    assert evaluate("(now() - parse_date('2026-03-13T02:30:00Z')).days", {}, clock=clock) == 1


# --------------------------------------------------------------------------------------------------
# Attacks are refused, with no side effect


@pytest.fixture
def tripwires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A sentinel path that must not appear and ``os.system``/``os.popen`` that must not be called."""
    calls: list[Any] = []

    def record(*args: Any, **kwargs: Any) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(os, "system", record)
    monkeypatch.setattr(os, "popen", record)
    sentinel = tmp_path / "pwned"
    yield sentinel
    assert calls == [], "os.system/os.popen was called"
    assert not sentinel.exists(), "the sentinel file was created"


def _attack(source: str, sentinel: Path) -> str:
    return source.replace("SENTINEL", str(sentinel))


STATIC_EXPRESSION_ATTACKS = [
    ("__import__('os')", "'__import__'"),
    ("__import__('os').system('touch SENTINEL')", "'system'"),
    ("().__class__.__base__.__subclasses__()", "'__subclasses__'"),
    ("getattr(x, '__globals__')", "'getattr'"),
    ("x.__globals__", "'__globals__'"),
    ("[c for c in ().__class__.__bases__[0].__subclasses__()]", "'__subclasses__'"),
    ('"{0.__class__}".format(1)', "'format'"),
    ("open('SENTINEL', 'w').write('x')", "'write'"),
    ("open('/etc/passwd').read()", "'read'"),
    ("open('SENTINEL', 'w')", "'open'"),
    ("eval('1')", "'eval'"),
    ("exec('x=1')", "'exec'"),
    ("compile('1', 'f', 'eval')", "'compile'"),
    ("lambda: 1", "lambda"),
    ("globals()", "'globals'"),
    ("locals()", "'locals'"),
    ("vars()", "'vars'"),
    ("type(1)", "'type'"),
    ("x.mro()", "'mro'"),
    ("(lambda: 0).__code__", "'__code__'"),
    ("len.__globals__", "'__globals__'"),
    ("parse_date.__globals__", "'__globals__'"),
    ("parse_date.__globals__['__builtins__']", "'__builtins__'"),
    ("len.__self__", "'__self__'"),
    ("now.__globals__", "'__globals__'"),
    ("[].__class__", "'__class__'"),
    ("''.join.__self__", "'__self__'"),
    ("data['__builtins__']", "'__builtins__'"),
    ("x._private", "'_private'"),
    ("_hidden", "'_hidden'"),
    ("print('x')", "'print'"),
    ("object", "'object'"),
    ("(y := 1)", ":="),
    ("sorted(*xs)", "star"),
    ("dict(**kw)", "'**'"),
    ("x.__class__.__subclasses__", "'__subclasses__'"),
    ("f'{x.__class__}'", "'__class__'"),
    ("1 +", "syntax error"),
]


@pytest.mark.parametrize(("source", "what"), STATIC_EXPRESSION_ATTACKS)
def test_expression_attacks_are_rejected_statically(source: str, what: str, tripwires: Path) -> None:
    source = _attack(source, tripwires)
    with pytest.raises(ScriptRejected, match="not allowed|syntax error") as info:
        check_expression(source)
    assert what in str(info.value)
    assert "\n" not in str(info.value) and "(line 1, col " in str(info.value)
    # Running it is refused the same way, before anything executes.
    with pytest.raises(ScriptRejected):
        evaluate(source, {"x": 1, "data": {}, "xs": [], "kw": {}})
    with pytest.raises(ScriptRejected):
        execute(f"result = {source}", {"x": 1, "data": {}, "xs": [], "kw": {}})


STATIC_SCRIPT_ATTACKS = [
    ("import os\nos.system('touch SENTINEL')", "import"),
    ("from os import path", "import"),
    ("from os import system\nsystem('touch SENTINEL')", "import"),
    ("def f():\n    pass", "function definition"),
    ("class A:\n    pass", "class definition"),
    ("with open('SENTINEL', 'w') as f:\n    pass", "'with'"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "'try'"),
    ("raise ValueError('x')", "'raise'"),
    ("global x", "'global'"),
    ("assert x", "'assert'"),
    ("x: int = 1", "annotated"),
    ("x.attr = 1", "'attr'"),
    ("len = 1", "'len'"),
    ("break", "'break'"),
    ("async def f():\n    pass", "function definition"),
    ("x = 1\nsettings.__dict__['debug'] = True", "'__dict__'"),
]


@pytest.mark.parametrize(("source", "what"), STATIC_SCRIPT_ATTACKS)
def test_script_attacks_are_rejected_statically(source: str, what: str, tripwires: Path) -> None:
    source = _attack(source, tripwires)
    data: dict[str, Any] = {"x": 1, "settings": {}}
    with pytest.raises(ScriptRejected, match="not allowed") as info:
        check_script(source)
    assert what in str(info.value)
    with pytest.raises(ScriptRejected):
        execute(source, data)
    assert data == {"x": 1, "settings": {}}


class _Trap:
    """A value in task data whose methods must never be reached from a script."""

    def __init__(self) -> None:
        self.touched = False

    def lower(self) -> str:
        self.touched = True
        return "x"

    def __getitem__(self, key: Any) -> Any:
        self.touched = True
        return 1


def test_expressions_cannot_modify_their_names() -> None:
    names = {"xs": [1], "d": {"a": 1}}
    sources = ("xs.append(2)", "xs.pop()", "d.update({'b': 2})", "d.setdefault('c', 3)", "[xs.extend(xs)]")
    for source in sources:
        with pytest.raises(ScriptRejected, match="is not allowed in an expression"):
            evaluate(source, names)
    assert names == {"xs": [1], "d": {"a": 1}}


def test_methods_only_work_on_whitelisted_types() -> None:
    trap = _Trap()
    with pytest.raises(ScriptError, match="method 'lower' is not available on _Trap"):
        evaluate("trap.lower()", {"trap": trap})
    with pytest.raises(ScriptError, match="not subscriptable"):
        evaluate("trap['k']", {"trap": trap})
    with pytest.raises(ScriptError, match="method 'join' is not available on list"):
        evaluate("[].join('x')", {})
    with pytest.raises(ScriptError, match="attribute 'year' is not available on str"):
        evaluate("s.year", {"s": "2026"})
    assert trap.touched is False


def test_functions_are_not_values() -> None:
    called: list[int] = []

    def spy(value: Any) -> Any:
        called.append(value)
        return value

    with pytest.raises(ScriptError, match="functions cannot be passed as arguments"):
        evaluate("sorted([2, 1], key=fn)", {"fn": spy})
    with pytest.raises(ScriptError, match="function 'len' can only be called"):
        execute("f = len", {})
    assert called == []


def test_unknown_name_reports_the_name() -> None:
    with pytest.raises(ScriptError, match=r"name 'undefined_thing' is not defined \(line 1, col 4\)"):
        evaluate("1 + undefined_thing", {})
    with pytest.raises(ScriptError, match=r"key 'b' not found \(line 2"):
        execute("x = 1\ny = d['b']", {"d": {"a": 1}})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("while True:\n    pass", "step limit exceeded"),
        ("x = 0\nwhile x >= 0:\n    x += 1", "step limit exceeded"),
        ("x = 'a' * 10**9", "result too large"),
        ("x = [0] * 10**9", "result too large"),
        ("x = 10**10**10", "exponent too large"),
        ("x = (10**64)**64", "integer too large"),
        ("x = 2\nfor i in range(64):\n    x = x * x", "integer too large"),
        ("x = range(10**12)", r"range\(\) is limited"),
        ("x = 'ab'\nfor i in range(64):\n    x = x + x", "result too large"),
        ("x = [1]\nfor i in range(64):\n    x.extend(x)", "result too large"),
        ("x = 'ab'\nfor i in range(64):\n    x = x.replace('a', 'aa')", "result too large"),
        ("x = '-'.join(['a' * 1000] * 2000)", "result too large"),
        ("l = [0] * 1000000\nm = [l] * 1000000\ns = str(m)", "value too large"),
        ("l = [0] * 1000000\nm = [l] * 1000000\nn = [list(l)] * 1000000\nr = m == n", "work limit exceeded"),
        ("x = f'{1:>999999999}'", "format width"),
        ("x = '%999999999d' % 1", "string formatting is not allowed"),
        ("x = round(5, -10**9)", r"round\(\) ndigits"),
        ("x = [1]\nx.append(x)", "cannot be stored inside itself"),
    ],
)
def test_resource_limits(source: str, message: str) -> None:
    data: dict[str, Any] = {}
    started = time.monotonic()
    with pytest.raises(ScriptError, match=message) as info:
        execute(source, data)
    assert time.monotonic() - started < 5
    assert "\n" not in str(info.value)
    assert data == {}


# --------------------------------------------------------------------------------------------------
# SpiffWorkflow integration

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
    spec = _spec(script=_attack("x = 1\n__import__('os')", tripwires))
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

"""The script sandbox: ordinary BPMN code works, attacks are refused without side effects."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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
        ("x = ('-' * 1000).join(['a'] * 2000)", "result too large"),
        ("l = [0] * 1000000\nm = [l] * 1000000\ns = str(m)", "value too large"),
        ("l = [0] * 1000000\ns = str(l)", "value too large"),
        ("for i in range(11):\n    x = [0] * 1000000", "work limit exceeded"),
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

"""The sandbox's size limit counts what a value reaches, as it would be saved.

Task data is serialised as JSON, which writes a shared value out once per reference; a script must
not be able to build (or grow, or alias) more than ``MAX_SIZE`` elements and characters that way.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from engine.sandbox import MAX_SIZE, ScriptError, evaluate, execute


def _refused(source: str, data: dict[str, Any] | None = None) -> ScriptError:
    """Run ``source``; it must fail quickly with a one-line size error and leave ``data`` unchanged."""
    data = {} if data is None else data
    before = dict(data)
    # CPU time of this process: the refusal must be cheap, and the tests run two processes on two cores,
    # so wall-clock time also counts the other worker's turns.
    started = time.process_time()
    with pytest.raises(ScriptError, match="value too large") as info:
        execute(source, data)
    assert time.process_time() - started < 1
    assert "\n" not in str(info.value)
    assert data == before
    return info.value


@pytest.mark.parametrize(
    ("source", "line"),
    [
        # The blow-up that used to pass and store 202 MB for one instance...
        ("a = [0] * 100\nb = [a] * 1000\nc = [b] * 1000", 3),
        # ...and one level more, which used to kill the process with MemoryError.
        ("a = [0] * 100\nb = [a] * 1000\nc = [b] * 1000\nd = [c] * 1000", 3),
        # Each level small, the product too large.
        ("a = [0] * 10\nb = [a] * 100\nc = [b] * 100\nd = [c] * 100", 4),
        ("x = 'a' * 600000\ny = [x] * 10", 2),
        ("x = 'a' * 600000\ny = [x, x]", 2),
        ("x = 'a' * 600000\ny = {'one': x, 'two': x}", 2),
        ("x = 'a' * 600000\ny = [x for i in range(2)]", 2),
        ("x = 'a' * 600000\ny = [x] + [x]", 2),
        ("x = ['a' * 600000]\ny = list(zip(x, x))", 2),
        ("x = 'a' * 600000\ny = dict(a=x, b=x)", 2),
        ("row = ['a' * 1000]\nrows = [row] * 1001", 2),
    ],
)
def test_shared_references_count_each_time(source: str, line: int) -> None:
    error = _refused(source)
    assert error.lineno == line
    assert f"limit {MAX_SIZE}" in error.message


def test_the_limit_is_what_json_would_write() -> None:
    data: dict[str, Any] = {}
    execute("a = [0] * 100\nb = [a] * 9000", data)  # 909,000: just under the limit
    assert len(json.dumps(data["b"])) < 4 * MAX_SIZE
    assert data["b"][0] is data["b"][1]  # nothing is copied to measure it
    execute("a = [0] * 1000000", {})  # a flat list or string of MAX_SIZE items fits exactly
    execute("a = 'x' * 1000000", {})


@pytest.mark.parametrize(
    ("grow", "line"),
    [
        ("a.append('x' * 1000)", 5),
        ("a.extend(['x'] * 1000)", 5),
        ("a.insert(0, 'x' * 1000)", 5),
        ("a[0:0] = ['x' * 1000]", 5),
        ("d['k'] = 'x' * 1000", 5),
        ("d.update({'k': 'x' * 1000})", 5),
        ("d.setdefault('k', 'x' * 1000)", 5),
        ("for i in range(1000):\n    a.append(i)", 6),
    ],
)
def test_growing_a_shared_value_in_place_counts_every_reference(grow: str, line: int) -> None:
    # ``rows`` is measured when ``holder`` is built; growing ``a`` or ``d`` grows it 1,000 times over.
    source = f"a = []\nd = {{}}\nrows = [[a, d]] * 1000\nholder = [rows]\n{grow}"
    error = _refused(source)
    assert error.lineno == line


def test_growing_a_shared_value_is_caught_at_the_end_at_the_latest() -> None:
    # Nothing measured holds ``rows`` here, so the growth is counted in the variables at the end.
    error = _refused("a = []\nrows = [a] * 1000\nfor i in range(1000):\n    a.append(i)")
    assert "the script's variables hold" in error.message
    assert error.lineno == 2  # where the largest variable was assigned


def test_a_value_under_several_names_counts_once_per_name() -> None:
    error = _refused("a = [0] * 600000\nb = a")
    assert "the script's variables hold 1200000" in error.message
    execute("a = [0] * 600000\nb = a\ndel a", {})


def test_task_data_counts_when_the_script_stores_it_again() -> None:
    big = "a" * 600_000
    _refused("y = [x] * 2", {"x": big})
    _refused("y = x\nz = x", {"x": [big]})  # saved three times; the script added two
    with pytest.raises(ScriptError, match="value too large"):
        evaluate("[items] * 10", {"items": list(range(200_000))})
    # Data that is only read or returned unchanged is not limited here.
    huge = ["b" * 1000] * 2000
    data: dict[str, Any] = {"x": huge}
    execute("n = len(x)\nfirst = x[0]", data)
    assert data["n"] == 2000
    assert evaluate("items", {"items": huge}) is huge


def test_removing_items_gives_the_space_back() -> None:
    # 5,000 strings of 300 characters go through a shared list and a shared dict: 1.5 million
    # characters in total, never more than 300 at a time.
    data: dict[str, Any] = {}
    execute(
        "todo = []\nlast = {}\nholder = [todo, last]\n"
        "for i in range(2500):\n"
        "    todo.append('x' * 300)\n"
        "    last['text'] = todo.pop()\n"
        "for i in range(2500):\n"
        "    todo.insert(0, 'y' * 300)\n"
        "    del todo[0]\n",
        data,
    )
    assert data["todo"] == [] and data["last"] == {"text": "x" * 300}


def test_a_shared_list_inside_a_tuple_is_followed_too() -> None:
    error = _refused("a = []\nt = (a,) * 1000\nholder = [t]\na.extend(range(1000))")
    assert error.lineno == 4


def test_a_container_still_cannot_hold_itself() -> None:
    with pytest.raises(ScriptError, match="cannot be stored inside itself"):
        execute("a = []\nb = [a]\nholder = [b]\na.append(b)", {})


def test_realistic_scripts_still_run() -> None:
    measures = [
        {"id": n, "text": f"措施 {n} " + "整改" * 40, "deadline": "2026-04-01", "unit": "A"} for n in range(300)
    ]
    data: dict[str, Any] = {"measures": measures, "new_deadline": "2026-05-01", "reopen_count": 0}
    execute(
        "reopen_count = reopen_count + 1\n"
        "for m in measures:\n"
        "    m['deadline'] = new_deadline\n"
        "rows = []\n"
        "by_unit = {}\n"
        "for m in measures:\n"
        "    row = {'id': m['id'], 'text': m['text'][:20], 'tags': []}\n"
        "    rows.append(row)\n"
        "    row['tags'].append(m['unit'])\n"
        "    by_unit.setdefault(m['unit'], []).append(m['id'])\n"
        "summary = {'rows': rows, 'count': len(rows), 'units': sorted(by_unit.keys())}\n"
        "report = '\\n'.join([f\"{r['id']}: {r['text']}\" for r in rows])\n",
        data,
    )
    assert data["reopen_count"] == 1
    assert all(m["deadline"] == "2026-05-01" for m in measures)
    assert data["summary"]["count"] == 300 and data["summary"]["rows"][5]["tags"] == ["A"]
    assert data["by_unit"] == {"A": list(range(300))}
    assert data["report"].count("\n") == 299

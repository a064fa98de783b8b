"""Task data out of bounds is refused with one line naming where, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import HumanTask, ProcessInstance, TaskStateError, TaskStatus, checked_data, parse_json_data
from engine.models import AuditEntry
from engine.payload import MAX_BYTES, MAX_DEPTH, MAX_INT, MIN_INT

from ..lifecycle_helpers import OFFICER, deploy_lifecycle, open_tasks, problem_data, start


def nested(levels: int, leaf: Any = 1) -> Any:
    """``levels`` lists inside each other around ``leaf``."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def looped() -> list[Any]:
    value: list[Any] = []
    value.append(value)
    return value


@pytest.fixture
def claimed(session, wf_engine):
    """A running instance of the real lifecycle and its officer task, claimed."""
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)
    return instance, task


def snapshot(session, instance: ProcessInstance, task: HumanTask) -> tuple[Any, ...]:
    session.refresh(instance)
    session.refresh(task)
    completions = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "complete"))
    return task.status, task.assignee, instance.version, instance.state, completions


REFUSED = [
    ({"progress": "ok", "detail": nested(MAX_DEPTH)}, "data.detail" + "[0]" * (MAX_DEPTH - 1) + " is nested more than"),
    ({"progress": "ok", "count": 10**5000}, "data.count is a whole number outside the range ±2^63"),
    ({"progress": "ok", "count": MAX_INT + 1}, "data.count is a whole number outside"),
    ({"progress": "ok", "count": MIN_INT - 1}, "data.count is a whole number outside"),
    ({"progress": "ok", "score": float("nan")}, "data.score is not a finite number"),
    ({"progress": "ok", "score": float("-inf")}, "data.score is not a finite number"),
    ({"progress": "ok", "measures": [{}, {"note": "a\x00b"}]}, "data.measures[1].note contains a NUL character"),
    ({"progress": "\ud800 half a pair"}, "data.progress contains a lone surrogate (U+D800)"),
    ({"progress": "x" * 100_001}, "data.progress is longer than 100000 characters"),
    ({"progress": "ok", "evidence": list(range(10_001))}, "data.evidence has more than 10000 items"),
    ({f"f{i}": "字" * 90_000 for i in range(4)}, "data is larger than 1 MB"),
    ({"progress": "ok", "extra": {"odd\nkey": {"k\x00": 1}}}, 'data.extra["odd\\nkey"] has a key that contains a NUL'),
    ({"progress": "ok", "extra": {1: "one"}}, "data.extra has a key that is not text (int)"),
    ({"progress": "ok", "extra": {"k" * 201: 1}}, "data.extra has a key longer than 200 characters"),
    ({"progress": "ok", "extra": looped()}, "is nested more than"),
    ({"progress": "ok", "when": object()}, "data.when is a object: task data may hold only text"),
]


@pytest.mark.parametrize(("payload", "message"), REFUSED, ids=[m.split(" is ")[0][:30] for _, m in REFUSED])
def test_data_out_of_bounds_is_refused_naming_the_place_and_the_task_stays_open(
    session, wf_engine, claimed, payload, message
):
    instance, task = claimed
    before = snapshot(session, instance, task)
    with pytest.raises(TaskStateError) as refused:
        wf_engine.complete(session, task.id, OFFICER, payload)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 300
    assert snapshot(session, instance, task) == before
    assert before[0] == TaskStatus.OPEN


def test_data_at_the_limits_is_accepted_and_stored(session, wf_engine, claimed):
    instance, task = claimed
    payload = {"progress": "已落实 ✓", "evidence": [], "detail": nested(MAX_DEPTH - 1),
               "big": MAX_INT, "small": MIN_INT, "ratio": 0.5, "note": "x" * 100_000}
    done = wf_engine.complete(session, task.id, OFFICER, payload)
    assert done.status == TaskStatus.COMPLETED
    assert done.data == payload


def test_a_start_with_unstorable_data_creates_no_instance(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    data = problem_data(wf_engine.clock())
    data["measures"][0]["unit"] = "U1\x00"
    with pytest.raises(TaskStateError, match=r"data\.measures\[0\]\.unit contains a NUL character"):
        wf_engine.start(session, "rectification", data, actor=OFFICER)
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_checked_data_copies_so_later_changes_do_not_leak_in():
    original = {"progress": "ok", "measures": [{"id": 1}], "pair": (1, 2)}
    copy = checked_data(original)
    original["measures"][0]["id"] = 2
    assert copy == {"progress": "ok", "measures": [{"id": 1}], "pair": [1, 2]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "--data is nested more than 20 levels deep"),
        ('{"a": ' + "[" * 100_000, "--data is nested more than 20 levels deep"),
        ('{"a": [1, {"n": ' + "7" * 5000 + "}]}", "data.a[1].n is a whole number of 5000 digits"),
        ('{"n": NaN}', "data.n is NaN, which is not a number that can be stored"),
        ('{"n": [-Infinity]}', "data.n[0] is -Infinity, which is not a number"),
        ('{"n": 1e999}', "data.n is not a finite number"),
        ('{"t": "\\u0000"}', "data.t contains a NUL character"),
        ('{"t": "\\udc80"}', "data.t contains a lone surrogate (U+DC80)"),
        ('{"t": 1,}', "--data is not valid JSON: Expecting property name enclosed in double quotes (column 9)"),
        ("[1, 2]", "--data must be a JSON object"),
        ('{"t": "' + "x" * MAX_BYTES + '"}', "--data is larger than 1 MB"),
    ],
)
def test_json_text_is_parsed_within_bounds_with_one_line_errors(text, message):
    with pytest.raises(TaskStateError) as refused:
        parse_json_data(text, what="--data")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '{"note": "' + "[{" * 50 + '\\"]"}'
    assert parse_json_data(text) == {"note": "[{" * 50 + '"]'}

"""Saving only what changed writes exactly what saving everything writes, on random walks of the lifecycle.

Each walk runs the real rectification diagram in memory the way the engine does (complete a
ready user task with a form's cleaned answer, move the clock and fire the due timers, amend the
data of every task as ``WorkflowEngine.amend`` does, now and then reload the workflow from its
saved state as after a cache miss), compacting before each save. After every step the
incremental dump equals the full dump byte for byte, and the state loaded back is the same
workflow (same tasks, links and data).

The number of walks is bounded for CI; ``RECTIFLOW_PROPERTY_WALKS=2000`` (for instance) runs a
long release check. The JSON codec gets its own property: orjson where it agrees with the
standard library, the standard library where it would not.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

import engine  # noqa: F401 - corrects SpiffWorkflow (timers on the engine clock) before anything runs
from engine import json_codec
from engine.compaction import compact
from engine.errors import WorkflowFailure
from engine.instance_store import InstanceStore, properties_of
from engine.properties import FORM
from engine.runtime import _amend_tasks
from engine.script_env import step_script_engine
from engine.serialization import StateSerializer
from engine.step import advance, running
from engine.timers import all_tasks, waiting_timers
from workflows.forms import validate

from ..conftest import BPMN_DIR

WALKS = int(os.environ.get("RECTIFLOW_PROPERTY_WALKS", "60"))
STEPS = 30
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
SCRIPTS = step_script_engine()

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12).map(
    lambda text: "r" + text)  # a required text is never blank
DATES = st.dates(date(2026, 1, 1), date(2028, 12, 31)).map(date.isoformat)
EVIDENCE = st.lists(st.integers(1, 50), max_size=3)


def walks(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def specs():
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_DIR / "rectification.bpmn"))
    return parser.get_spec("rectification"), parser.get_subprocess_specs("rectification")


def answer(draw: st.DataObject, form: str) -> dict[str, Any]:
    """A submission of ``form`` as a person would make it, cleaned as the engine receives it."""
    if form == "measure_progress":
        raw = {"progress": draw.draw(TEXT), "measure_done": draw.draw(st.booleans()), "evidence": draw.draw(EVIDENCE)}
    elif form == "measure_review":
        decision = draw.draw(st.sampled_from(["approve", "approve", "return"]))
        raw = {"review_decision": decision, "reason": draw.draw(TEXT) if decision == "return" else None}
    elif form in ("verification", "lookback"):
        field = "verify_decision" if form == "verification" else "lookback_decision"
        good, bad = ("pass", "fail") if form == "verification" else ("consolidated", "rebound")
        decision = draw.draw(st.sampled_from([good, bad]))
        raw = {field: decision, "reason": draw.draw(TEXT) if decision == bad else None,
               "new_deadline": draw.draw(st.none() | DATES) if decision == bad else None}
    elif form == "long_term_close":
        raw = {"close_note": draw.draw(TEXT)}
    else:
        assert form == "periodic_report", form
        raw = {"progress": draw.draw(TEXT), "evidence": draw.draw(EVIDENCE)}
    return validate(form, raw)


def amendment(draw: st.DataObject):
    """A change to every task's data, like an administrator's amend (edits nested values in place)."""
    kind = draw.draw(st.sampled_from(["deadline", "leader", "note"]))
    value = draw.draw(DATES if kind == "deadline" else TEXT)

    def change(data: dict[str, Any]) -> bool:
        if kind == "note":
            data["note"] = value
            return True
        measures = [*data.get("measures", []), *([data["measure"]] if "measure" in data else [])]
        if kind == "leader" and "problem" in data:
            data["problem"]["leader"] = value
            measures = []
        for measure in measures:
            measure["deadline" if kind == "deadline" else "leader"] = value
        return bool(measures) or (kind == "leader" and "problem" in data)

    return change


class Walk:
    """One instance driven in memory as the engine drives it, saved after every step."""

    def __init__(self, specs, serializer: StateSerializer, data: dict[str, Any]) -> None:
        self.specs = specs
        self.serializer = serializer
        self.now = START
        self.workflow = BpmnWorkflow(*specs, script_engine=SCRIPTS)
        self.steps: list[str] = []
        with running(self.now, 60):
            for task in self.workflow.get_tasks(state=TaskState.READY):
                task.set_data(**data)
            advance(self.workflow, [])
        self.save("start")

    def ready(self):
        return self.workflow.get_tasks(state=TaskState.READY, manual=True)

    def complete(self, task, data: dict[str, Any]) -> None:
        with running(self.now, 60):
            task.set_data(**data)
            task.run()
            advance(self.workflow, [])
        self.save(f"complete {task.task_spec.bpmn_id} {data}")

    def wait(self, days: int) -> None:
        """Move the clock and fire what is due, as the scheduler does (catching up on cycles)."""
        self.now += timedelta(days=days)
        with running(self.now + timedelta(microseconds=1), 60):
            for _ in range(100):
                advance(self.workflow, [])
                if not any(when <= self.now for _, when in waiting_timers(self.workflow)):
                    break
        self.save(f"wait {days} days")

    def amend(self, change, forget: bool) -> None:
        with running(self.now, 60):
            _amend_tasks(self.workflow, change)

            if forget:
                self.serializer.forget(self.workflow)
            advance(self.workflow, [])
        self.save(f"amend (forget={forget})")

    def reload(self) -> None:
        """Continue on the workflow loaded from the last save, as after the engine's cache missed it."""
        self.workflow = self.serializer.load_state(self.text, *self.specs)
        self.workflow.script_engine = SCRIPTS
        self.steps.append("reload")

    def save(self, step: str) -> None:
        self.steps.append(step)
        compact(self.workflow)
        incremental = self.serializer.dump_state(self.workflow)
        full = self.serializer.dump_state_full(self.workflow)
        assert incremental == full, f"incremental dump differs from the full one after: {self.steps}"
        loaded = self.serializer.load_state(full, *self.specs)
        # Not the same text: a loaded task's data is its parent's plus the delta, so its keys (and the
        # deletions listed against it) may come in another order. The same tasks, data and links.
        assert same_tasks(loaded, self.workflow), f"the reloaded workflow differs after: {self.steps}"
        self.text = full


def same_tasks(loaded: BpmnWorkflow, live: BpmnWorkflow) -> bool:
    """Every task of ``loaded`` is the task of ``live`` with the same id, state, links and data."""

    def tasks(workflow: BpmnWorkflow) -> dict[UUID, tuple[Any, ...]]:
        return {
            task.id: (task.state, task.last_state_change, task._parent, task._children, task.triggered,
                      task.task_spec.name, task.internal_data, task.data)
            for task in all_tasks(workflow)
        }

    def data(workflow: BpmnWorkflow) -> list[Any]:
        return [workflow.data, {i: sub.data for i, sub in workflow.subprocesses.items()}]

    return tasks(loaded) == tasks(live) and data(loaded) == data(live)


@given(st.data())
@walks(WALKS)
def test_incremental_state_is_the_full_state_after_every_step(specs, data: st.DataObject) -> None:
    serializer = StateSerializer()
    problem = {
        "problem": {"id": 1, "long_term": data.draw(st.booleans()), "lead_unit": "U1", "leader": "leader1"},
        "measures": [
            {"id": 100 + i, "deadline": (START + timedelta(days=data.draw(st.integers(1, 90)))).isoformat(),
             "unit": "U1", "leader": "leader1"}
            for i in range(data.draw(st.integers(1, 3)))
        ],
        "lookback_delay": data.draw(st.sampled_from(["P6M", "P30D"])),
        "report_interval": data.draw(st.sampled_from(["P1M", "P14D"])),
        "reopen_count": 0,
        "new_deadline": None,
    }
    walk = Walk(specs, serializer, problem)
    for _ in range(STEPS):
        if walk.workflow.is_completed():
            break
        ready = walk.ready()
        moves = (["complete"] * 4 if ready else []) + ["wait", "amend"] + (["reload"] if walk.steps[-1] != "reload"
                                                                          else [])
        move = data.draw(st.sampled_from(moves))
        if move == "complete":
            task = ready[data.draw(st.integers(0, len(ready) - 1))]
            walk.complete(task, answer(data, properties_of(task)[FORM]))
        elif move == "wait":
            walk.wait(data.draw(st.sampled_from([1, 7, 20, 31, 45, 100, 200])))
        elif move == "amend":
            walk.amend(amendment(data), forget=data.draw(st.booleans()))
        else:
            walk.reload()
    # The assembled text still means what SpiffWorkflow's own serializer writes.
    stock = json.loads(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(
        walk.workflow))
    for key in ("spec", "subprocess_specs", "typename"):
        stock.pop(key)
    assert json.loads(serializer.dump_state_full(walk.workflow)) == {**stock, "format": "rectiflow-2"}


def test_finished_tasks_are_reused_and_forget_drops_them(specs) -> None:
    serializer = StateSerializer()
    walk = Walk(specs, serializer, {"problem": {"id": 1, "long_term": False, "lead_unit": "U1", "leader": "l"},
                                    "measures": [{"id": 1, "deadline": "2026-03-01", "unit": "U1", "leader": "l"}],
                                    "lookback_delay": "P6M", "report_interval": "P1M", "reopen_count": 0,
                                    "new_deadline": None})
    kept = serializer._fragments[walk.workflow]
    finished = {t for t in walk.workflow.tasks.values() if t.state & TaskState.FINISHED_MASK}
    assert finished and finished <= kept.keys()
    serializer.forget(walk.workflow)
    assert walk.workflow not in serializer._fragments


class Label(str):
    pass


class Count(int):
    pass


VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.text(), st.sampled_from(["\ud800", "\x1f", "\u2028", '"\\']),
        st.integers(), st.integers(2**62, 2**70), st.floats(),
        st.datetimes(timezones=st.just(UTC)), st.timedeltas(), st.uuids(), st.dates(),
        st.text(max_size=3).map(Label), st.integers(-5, 5).map(Count),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.sets(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=4) | st.integers(0, 3), inner, max_size=4)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3).map(OrderedDict),
    max_leaves=12,
)


def _same(ours: Any, theirs: Any) -> bool:
    """Equal as JSON values, NaN equal to NaN (floats may be spelled differently)."""
    if isinstance(ours, float) and isinstance(theirs, float):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return list(ours) == list(theirs) and all(_same(ours[k], theirs[k]) for k in ours)
    return type(ours) is type(theirs) and ours == theirs


@given(VALUES)
@walks(300)
def test_the_codec_writes_what_the_standard_library_writes(value: Any) -> None:
    default = StateSerializer()._default
    try:
        theirs = json_codec.stdlib_dumps(value, default)
    except Exception as refused:  # the codec refuses it the same way
        with pytest.raises(type(refused)):
            json_codec.dumps(value, default)
        return
    ours = json_codec.dumps(value, default)
    assert _same(json.loads(ours), json.loads(theirs))
    assert _same(json_codec.loads(ours), json.loads(theirs))
    if not has_float(value):  # orjson may spell a float differently (1e16 for 1e+16), nothing else
        assert ours == theirs


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return isinstance(value, list | tuple | set) and any(map(has_float, value))


def test_big_numbers_nan_and_surrogates_keep_their_meaning() -> None:
    default = StateSerializer()._default
    value = {"nan": float("nan"), "inf": float("-inf"), "big": 2**70, "small": -(2**63) - 1, "id": UUID(int=7)}
    text = json_codec.dumps(value, default)
    assert text == json_codec.stdlib_dumps(value, default)
    back = json_codec.loads(text)
    assert math.isnan(back["nan"]) and back["inf"] == float("-inf")
    assert (back["big"], back["small"], back["id"]) == (2**70, -(2**63) - 1, {"value": str(UUID(int=7)),
                                                                                "typename": "UUID"})
    assert json_codec.loads(json_codec.dumps({"x": "\ud800"}, default)) == {"x": "\ud800"}


def test_a_lone_surrogate_in_a_script_result_fails_naming_the_task(specs) -> None:
    walk = Walk(specs, StateSerializer(), {"problem": {"id": 1, "long_term": False, "lead_unit": "U1",
                                                       "leader": "l"}, "measures": [], "lookback_delay": "P6M",
                                           "report_interval": "P1M", "reopen_count": 0, "new_deadline": None})
    [task] = walk.ready()
    task.data["progress"] = "half \ud800 a pair"
    store = InstanceStore(walk.serializer, SCRIPTS, cache_size=0)
    failed = "^saving the field 'progress' of 'Task_verify' failed: .*surrogates not allowed"
    with pytest.raises(WorkflowFailure, match=failed):
        store._dump(walk.workflow)
    task.data["progress"] = float("nan")
    state = store._dump(walk.workflow)
    [loaded] = walk.serializer.load_state(state, *specs).get_tasks(state=TaskState.READY, manual=True)
    assert math.isnan(loaded.data["progress"])

"""Every diagram drawn for issue 14 deploys, and each executable one runs to completion (issue 14, "Done when").

The diagrams are the four fixture folders under tests/fixtures/bpmn/: modelers (exports from bpmn.io,
Camunda Modeler, Signavio, Bizagi), messages, services and conformance (one BPMN element class per
file, for the OMG's Descriptive and Analytic conformance sub-classes). What each needs or is expected
to do is in ``conformance/expectations.json``, keyed by ``folder/file``; a diagram with no entry is
started with no data and driven to its end.

The driver plays every outside party, generically: it completes each open human task as someone the
task allows (its candidate user, or a member of its candidate group and unit), with the data the
sidecar gives for that task's name (or for ``*``); delivers the sidecar's messages and signals once the instance
waits for them; and moves the clock to the next due timer and fires it. It repeats until the
instance completes, and fails naming what the instance still waits for when it is stuck.

Only SQLite: the messages, timers and deploy suites already run on both databases. Each diagram runs
with the engine's workflow cache off and on, so every step also survives a reload from the database.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from engine import Actor, DeployError, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, Timer
from engine.messages import waiting_events
from engine.runtime import WorkflowEngine
from engine.services import build_registry
from engine.timers import all_tasks

from ..conftest import ROOT
from .moddle import moddle_lines

FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
FOLDERS = ("modelers", "messages", "services", "conformance")
EXPECTATIONS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "conformance" / "expectations.json").read_text(encoding="utf-8"))
ADMIN = Actor("admin", groups=frozenset({"admin"}))
MAX_STEPS = 60
# Python reprs and exception names a modeler must never read in a refusal.
REPR_MARKS = (" object at 0x", "Error(", "Exception(", "<Element ", "b'<", "%r")


def diagrams() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (FIXTURES / folder).glob("*.bpmn"))


def key_of(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def cases() -> list[Any]:
    params = []
    for path in diagrams():
        spec = EXPECTATIONS.get(key_of(path), {})
        marks = []
        if spec.get("pending"):
            # Kept strict: once the engine handles the diagram, the test says so and the entry must go.
            marks.append(pytest.mark.xfail(strict=True, reason=f"pending: {spec['pending']}"))
        params.append(pytest.param(path, id=key_of(path), marks=marks))
    return params


@pytest.fixture(params=[0, 256], ids=["reloaded", "cached"])
def wf_engine(request, clock) -> WorkflowEngine:
    """The engine with every built-in service enabled (http_post only to 127.0.0.1, and nothing is sent
    anyway: a POST leaves after the commit, and these tests roll back); its workflow cache off (every
    step restores the instance from the database) and on."""
    engine = WorkflowEngine(clock=clock, services=build_registry(["notify", "set_deadline", "http_post"],
                                                                 http_hosts=["127.0.0.1"]))
    engine.store.cache_size = request.param
    return engine


def actor_for(task: HumanTask) -> Actor:
    """Someone the task allows: its candidate user, else a member of its group (and unit)."""
    if task.candidate_user:
        return Actor(task.candidate_user)
    assert task.candidate_group, f"task {task.bpmn_id} ({task.name}) has no candidate: nobody could claim it"
    units = frozenset({task.candidate_unit}) if task.candidate_unit else frozenset()
    return Actor(f"driver-{task.candidate_group}", groups=frozenset({task.candidate_group}), units=units)


def open_tasks(session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)))


def final_data(wf_engine, session, instance: ProcessInstance) -> dict[str, Any]:
    """The union of the data of every task of the instance and its sub-processes, the end's data last
    (a multi-instance's children hold partial results)."""
    workflow = wf_engine.load_workflow(session, instance.id)
    merged: dict[str, Any] = {}
    for task in all_tasks(workflow):
        merged.update(task.data)
    merged.update(workflow.data)
    return merged


class Driver:
    """Plays the people, the clock and the outside world for one instance, as the sidecar says."""

    def __init__(self, session, wf_engine, clock, spec: dict[str, Any], business_key: str) -> None:
        self.session, self.engine, self.clock, self.spec = session, wf_engine, clock, spec
        self.business_key = business_key
        self.events = [("message", e) for e in spec.get("messages", [])] + \
                      [("signal", e) for e in spec.get("signals", [])]
        self.log: list[str] = []
        self.fired: dict[str, int] = {}

    def start(self, process_key: str) -> ProcessInstance:
        start_by = self.spec.get("start_by")
        if start_by is None:
            return self.engine.start(self.session, process_key, self.spec.get("data", {}), actor=ADMIN,
                                     business_key=self.business_key)
        kind, name = next(iter(start_by.items()))
        if kind == "message":
            delivery = self.engine.send_message(self.session, name, business_key=self.business_key,
                                                data=self.spec.get("data", {}), actor=ADMIN)
        else:
            delivery = self.engine.send_signal(self.session, name, data=self.spec.get("data", {}), actor=ADMIN)
        [instance] = [i for i in delivery.started if i.definition.process_key == process_key]
        return instance

    def run(self, instance: ProcessInstance) -> None:
        # "events": the listed events the instance waits for; "send": the next listed event, waited for or not.
        steps = {"tasks": self._tasks, "events": self._events, "timers": self._timers, "send": self._send_anyway}
        order = [steps[name] for name in self.spec.get("order", ["tasks", "events", "timers"])]
        for _ in range(MAX_STEPS):
            self.session.refresh(instance)
            if instance.status != InstanceStatus.RUNNING:
                return
            if not any(step(instance) for step in order) and not self._send_anyway(instance):
                workflow = self.engine.load_workflow(self.session, instance.id)
                pytest.fail(f"stuck after {self.log}: waits for {waiting_events(workflow) or 'nothing known'}, "
                            f"no open task, no timer; events left to send: {self.events}", pytrace=False)
        pytest.fail(f"still running after {MAX_STEPS} steps: {self.log}", pytrace=False)

    def _tasks(self, instance: ProcessInstance) -> bool:
        tasks = open_tasks(self.session, instance.id)
        for task in tasks:
            actor = actor_for(task)
            self.engine.claim(self.session, task.id, actor)
            given = self.spec.get("task_data", {})
            self.engine.complete(self.session, task.id, actor, given.get(task.name, given.get("*", {})))
            self.log.append(f"completed {task.name!r}")
        return bool(tasks)

    def _events(self, instance: ProcessInstance) -> bool:
        waiting = set(waiting_events(self.engine.load_workflow(self.session, instance.id)))
        for index, (kind, event) in enumerate(self.events):
            if f"{kind} '{event['name']}'" in waiting:
                return self._send(instance, index)
        return False

    def _send(self, instance: ProcessInstance, index: int) -> bool:
        kind, event = self.events.pop(index)
        if kind == "message":
            delivery = self.engine.send_message(self.session, event["name"], business_key=self.business_key,
                                                data=event.get("data", {}), actor=ADMIN)
        else:
            delivery = self.engine.send_signal(self.session, event["name"], data=event.get("data", {}), actor=ADMIN)
        assert instance.id in [i.id for i in delivery.received], f"{kind} {event['name']} missed the instance"
        self.log.append(f"sent {kind} {event['name']!r}")
        return True

    def _send_anyway(self, instance: ProcessInstance) -> bool:
        """The next event to send, waited for or not (order ``send``; and when stuck), so the engine says
        why it cannot deliver it rather than the driver guessing."""
        return bool(self.events) and self._send(instance, 0)

    def _timers(self, instance: ProcessInstance) -> bool:
        # A cycle fires for ever: each timer fires at most ``timer_repeats`` times, then the people move on.
        repeats = self.spec.get("timer_repeats", 2)
        timer = next((t for t in self.session.scalars(select(Timer).where(Timer.instance_id == instance.id)
                                                      .order_by(Timer.due_at))
                      if self.fired.get(t.bpmn_id, 0) < repeats), None)
        if timer is None:
            return False
        self.fired[timer.bpmn_id] = self.fired.get(timer.bpmn_id, 0) + 1
        self.clock.set(max(self.clock(), timer.due_at) + timedelta(seconds=1))
        fired = self.engine.fire_due_timers(self.session, self.clock())
        failed = self.session.scalars(select(Timer.last_error).where(
            Timer.instance_id == instance.id, Timer.last_error.is_not(None))).first()
        assert failed is None, f"timer failed: {failed}"
        assert instance.id in fired, f"the timer due {timer.due_at} did not advance the instance"
        self.log.append(f"fired timer {timer.bpmn_id}")
        return True


def check_refusal(exc: DeployError, spec: dict[str, Any], path: Path) -> None:
    """The refusal names the file, the element (id, name, line) and a hint, and holds no Python repr."""
    message = str(exc)
    assert spec["refused"] in message, message
    assert message.startswith(f"{path.name}: "), message
    assert exc.problems, message
    problem = exc.problems[0]
    assert problem.hint and message.endswith(problem.hint), message
    assert problem.element_id == spec["refused_element"], message
    assert f"'{problem.element_id}'" in message and problem.line and f"line {problem.line}" in message, message
    [element] = etree.parse(str(path)).getroot().xpath("//*[@id=$id]", id=problem.element_id)
    if (element.get("name") or "").strip():
        # Long names are clipped with an ellipsis; what is shown must be the name's beginning.
        assert problem.name and f'"{problem.name}"' in message, message
        assert " ".join(element.get("name").split()).startswith(problem.name.rstrip("…")), message
    for each in exc.problems:
        assert not any(mark in each.message for mark in REPR_MARKS), each.message


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", cases())
def test_diagram_deploys_and_runs_to_completion(path: Path, session, wf_engine, clock) -> None:
    spec = EXPECTATIONS.get(key_of(path), {})
    if spec.get("refused"):
        with pytest.raises(DeployError) as refused:
            wf_engine.deploy_path(session, path, actor="admin")
        check_refusal(refused.value, spec, path)
        return
    results = wf_engine.deploy_path(session, path, actor="admin")
    keys = [r.definition.process_key for r in results]
    assert keys, f"{path.name} deployed no process"
    if spec.get("deploy_only"):
        return
    process_key = spec.get("start") or keys[0]
    assert process_key in keys and (len(keys) == 1 or "start" in spec), keys
    driver = Driver(session, wf_engine, clock, spec, business_key=f"conformance:{path.stem}")
    instance = driver.start(process_key)
    driver.run(instance)
    assert instance.status == InstanceStatus.COMPLETED, driver.log
    assert open_tasks(session, instance.id) == [], "open tasks left behind by a completed instance"
    assert driver.events == [], f"never waited for {driver.events}"
    data = final_data(wf_engine, session, instance)
    for name, value in spec.get("expect", {}).items():
        assert data.get(name) == value, f"{name}: {data.get(name)!r} != {value!r} (log: {driver.log})"
    for name in spec.get("expect_absent", []):
        assert name not in data, f"{name} was set: the wrong path ran ({driver.log})"


def test_the_suite_has_at_least_40_diagrams_and_no_stale_expectations() -> None:
    found = diagrams()
    assert len(found) >= 40, len(found)
    stale = set(EXPECTATIONS) - {key_of(p) for p in found} - {"_comment"}
    assert not stale, f"expectations for diagrams that do not exist: {sorted(stale)}"


def test_every_diagram_reads_cleanly_in_bpmn_moddle() -> None:
    """bpmn.io and Camunda Modeler read every diagram (their bpmn-moddle); prefixed references are
    the one thing it cannot resolve, and only modelers/prefixed_refs.bpmn has them."""
    found = diagrams()
    lines = moddle_lines(found)
    allowed = [line for line in lines if "prefixed_refs.bpmn: unresolved reference <tns:" in line]
    others = [line for line in lines if ": ok (" not in line and line not in allowed]
    assert others == [], "\n".join(others)
    assert sum(": ok (" in line for line in lines) == len(found) - (1 if allowed else 0)

"""Service tasks: the diagrams of tests/fixtures/bpmn/services run their services (SQLite and PostgreSQL).

What goes out (a POST, a notice) leaves only after the commit; a service that fails is an incident on
the instance, never an error of the step, and an administrator retries or skips it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import UUID

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import Actor, HumanTask, InstanceStatus, NotFound, ProcessInstance, TaskStateError, TaskStatus
from engine.compaction import compact
from engine.models import AuditEntry, ServiceIncident
from engine.runtime import WorkflowEngine
from engine.services import build_registry
from engine.side_effects import commit_then_run, side_effects

DIAGRAMS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "services"
ADMIN = Actor("admin", groups=frozenset({"admin"}))
CLERK = Actor("clerk1", groups=frozenset({"clerks"}))


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every POST it gets."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, object]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(params=[0, 256], ids=["reloaded", "cached"])
def engine_(request, clock) -> WorkflowEngine:
    """An engine with every built-in enabled, http_post to 127.0.0.1; its workflow cache on and off."""
    engine = WorkflowEngine(clock=clock, services=build_registry(
        ["notify", "set_deadline", "http_post"], http_hosts=["127.0.0.1"]))
    engine.store.cache_size = request.param
    return engine


def deploy(session, engine, *names):
    for name in names:
        engine.deploy_path(session, DIAGRAMS / f"{name}.bpmn", actor="admin")


def open_tasks(session, instance_id):
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == TaskStatus.OPEN)).all()


def finish(session, engine, task, data=None):
    engine.claim(session, task.id, CLERK)
    return engine.complete(session, task.id, CLERK, data or {})


def data_of(session, engine, instance_id):
    workflow = engine.load_workflow(session, instance_id)
    return max((t for t in workflow.get_tasks()), key=lambda t: len(t.data)).data


def audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_set_deadline_after_a_user_task_gives_a_date_from_the_steps_clock(session, engine_, clock):
    deploy(session, engine_, "svc_deadline")
    instance = engine_.start(session, "svc_deadline", {"days": 10}, actor=ADMIN)
    [task] = open_tasks(session, instance.id)
    clock.advance(days=2)  # the deadline counts from the step that runs the service
    finish(session, engine_, task)
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED
    assert data_of(session, engine_, instance.id)["deadline_result"] == {"deadline": "2026-01-17"}


def test_http_post_reaches_the_allowed_host_only_after_the_commit(session, engine_, receiver):
    deploy(session, engine_, "svc_http_post")
    instance = engine_.start(session, "svc_http_post", {"url": receiver.url + "/cases", "case": "A-1"},
                             actor=ADMIN)
    [task] = open_tasks(session, instance.id)
    assert data_of(session, engine_, instance.id)["post_result"] == {"queued": True, "host": "127.0.0.1"}
    assert receiver.posts == [] and len(side_effects(session)) == 1  # queued, not sent

    assert commit_then_run(session) == 0
    assert receiver.posts == [("/cases", {"case": "A-1"})]
    assert task.bpmn_id == "Task_check"


def test_a_step_that_rolls_back_sends_nothing(session, engine_, receiver, monkeypatch):
    deploy(session, engine_, "svc_http_post")

    def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine_.store, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        engine_.start(session, "svc_http_post", {"url": receiver.url, "case": "A-1"}, actor=ADMIN)
    assert len(side_effects(session)) == 0
    commit_then_run(session)
    assert receiver.posts == []


def test_notify_audits_who_is_told_and_calls_the_notifier_after_the_commit(session, clock):
    told: list[tuple[list[str], str]] = []
    engine = WorkflowEngine(clock=clock, services=build_registry(
        ["notify"], notifier=lambda to, message: told.append((to, message))))
    deploy(session, engine, "svc_notify")
    instance = engine.start(session, "svc_notify", {"officer": "zhang", "case": "A-1"}, actor=ADMIN)
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED
    [entry] = audit(session, "service_notify")
    assert (entry.actor, entry.instance_id, entry.bpmn_id) == ("admin", instance.id, "Service_notify")
    assert entry.detail == {"to": ["zhang"], "message": "案件 A-1 已到达"}
    assert told == []
    commit_then_run(session)
    assert told == [(["zhang"], "案件 A-1 已到达")]


def _failed(session, engine, url, receiver_url=""):
    """The failing diagram with its review done: the forward to ``url`` is an incident."""
    deploy(session, engine, "svc_failing")
    instance = engine.start(session, "svc_failing", {"url": url, "case": "B-2"}, actor=ADMIN)
    [review] = open_tasks(session, instance.id)
    done = finish(session, engine, review)  # a normal, successful completion
    assert done.status == TaskStatus.COMPLETED
    [incident] = engine.service_incidents(session)
    return instance.id, incident


def test_a_failing_service_is_an_incident_not_an_error(session, engine_):
    instance_id, incident = _failed(session, engine_, "http://elsewhere.example/in")
    assert (incident.instance_id, incident.bpmn_id) == (instance_id, "Service_forward")
    assert incident.message == ("service 'http_post': host 'elsewhere.example' is not allowed; "
                                "allowed hosts: 127.0.0.1")
    assert session.get(ProcessInstance, instance_id).status == InstanceStatus.RUNNING
    assert open_tasks(session, instance_id) == []  # waiting at the failed task
    [entry] = audit(session, "service_incident")
    assert entry.detail == {"task": incident.task_id, "error": incident.message}
    assert len(side_effects(session)) == 0


def test_retry_after_fixing_the_configuration_runs_on(session, clock, engine_, receiver):
    refusing = WorkflowEngine(clock=clock, services=build_registry(["http_post"], http_hosts=["localhost"]))
    instance_id, incident = _failed(session, refusing, receiver.url + "/in")
    again = refusing.retry_service_incident(session, incident.id, ADMIN)  # still refused: a new incident
    assert again.resolution == "retried" and again.resolved_by == "admin"
    [second] = refusing.service_incidents(session)
    assert second.id != incident.id and second.task_id == incident.task_id

    resolved = engine_.retry_service_incident(session, second.id, ADMIN)  # the host is allowed now
    assert resolved.resolved_at is not None and engine_.service_incidents(session) == []
    [filing] = open_tasks(session, instance_id)
    assert filing.bpmn_id == "Task_file"
    assert [e.detail["incident"] for e in audit(session, "service_retry")] == [incident.id, second.id]
    commit_then_run(session)
    assert receiver.posts == [("/in", {"case": "B-2"})]
    with pytest.raises(TaskStateError, match="resolved already"):
        engine_.retry_service_incident(session, second.id, ADMIN)


def test_skip_completes_the_task_without_its_service(session, engine_, receiver):
    instance_id, incident = _failed(session, engine_, "ftp://127.0.0.1/in")
    assert "is not an http or https URL" in incident.message
    with pytest.raises(TaskStateError, match="say why"):
        engine_.skip_service_incident(session, incident.id, ADMIN, "  ")
    skipped = engine_.skip_service_incident(session, incident.id, ADMIN, " forwarded  by hand ")
    assert skipped.resolution == "skipped: forwarded by hand"
    [filing] = open_tasks(session, instance_id)
    finish(session, engine_, filing)
    assert session.get(ProcessInstance, instance_id).status == InstanceStatus.COMPLETED
    assert data_of(session, engine_, instance_id)["forward_result"] is None
    [entry] = audit(session, "service_skip")
    assert entry.detail["reason"] == "forwarded by hand" and entry.detail["incident"] == incident.id
    commit_then_run(session)
    assert receiver.posts == []
    with pytest.raises(TaskStateError, match="resolved already"):
        engine_.skip_service_incident(session, incident.id, ADMIN, "again")
    with pytest.raises(NotFound, match="does not exist"):
        engine_.retry_service_incident(session, 10**9, ADMIN)


def test_an_engine_without_services_refuses_every_operator_as_an_incident(session, engine_, wf_engine):
    deploy(session, engine_, "svc_notify")  # deployed where notify was enabled; run where it no longer is
    instance = wf_engine.start(session, "svc_notify", {"officer": "zhang", "case": "A-1"}, actor=ADMIN)
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.RUNNING
    [incident] = wf_engine.service_incidents(session)
    assert incident.message == "service 'notify' is not enabled; enabled: none"
    assert session.scalar(select(ServiceIncident.resolved_at).where(ServiceIncident.id == incident.id)) is None


def test_a_bad_parameter_is_an_incident_naming_it(session, engine_):
    deploy(session, engine_, "svc_deadline")
    instance = engine_.start(session, "svc_deadline", {"days": "ten"}, actor=ADMIN)
    [task] = open_tasks(session, instance.id)
    finish(session, engine_, task)
    [incident] = engine_.service_incidents(session)
    assert incident.message == "service 'set_deadline': 'days' must be a whole number from 0 to 3650, got 'ten'"


def test_compaction_keeps_the_failed_task_a_retry_needs(session, engine_):
    instance_id, incident = _failed(session, engine_, "http://elsewhere.example/in")
    workflow = engine_.load_workflow(session, instance_id)
    assert compact(workflow, threshold=0) > 0  # the start and the review are dropped, the failed task is not
    assert workflow.get_task_from_id(UUID(incident.task_id)).state == TaskState.ERROR


def test_the_other_branch_goes_on_while_a_service_waits_for_its_incident(session, clock):
    enabled = WorkflowEngine(clock=clock, services=build_registry(["notify"]))
    deploy(session, enabled, "svc_parallel")
    refusing = WorkflowEngine(clock=clock)  # no service enabled (the configuration changed since the deploy)
    instance = refusing.start(session, "svc_parallel", {}, actor=ADMIN)
    [incident] = refusing.service_incidents(session)
    [work] = open_tasks(session, instance.id)  # created in the same step as the incident
    finish(session, refusing, work)
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.RUNNING  # the join waits

    enabled.retry_service_incident(session, incident.id, ADMIN)
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED
    assert [e.detail["to"] for e in audit(session, "service_notify")] == [["zhang"]]

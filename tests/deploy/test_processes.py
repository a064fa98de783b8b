"""The deployment of deploy/compose.yaml, run as its processes, survives losing a scheduler and a web worker.

No container runtime on this machine, so the web (gunicorn, two workers) and the two scheduler replicas run
as processes started from the compose file's and the Dockerfile's definitions (tests/deploy/process_world.py)
on a fresh PostgreSQL database, which the web's entrypoint migrates. Then one problem of a plan goes
through its lifecycle over HTTP with personal API tokens, each made after signing in through the login page
(the officer's two progress reports, the leader's two approvals, supervision's verification: 销号). Midway a
timer diagram is started over the API, then one scheduler and one web worker are killed with SIGKILL; the
surviving scheduler must fire the timer once, gunicorn must replace the worker, and every completion the API
acknowledged must be in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, ProcessInstance, TaskStatus, Timer, WorkflowEngine
from engine.models import AuditEntry, SchedulerHeartbeat, ServiceIncident
from workflows.models import Role
from workflows.people import create_person, create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch

from ..conftest import _postgres_engine
from .process_world import CONNECTION_LOST, Deployment, Http, Traffic

pytestmark = pytest.mark.postgres

API = "/api/v1"
PROBLEM_NUMBER = "1.1"
MEASURES = 2
OFFICER, LEADER, SUPERVISION, ADMIN = "dzz", "shuji", "ducha", "admin"
PASSWORD = "deployment-test-password"
RETRIES = 5
TRAFFIC = 4  # readers during the kill: as many as a worker's threads
PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_deploy_probe"
                  targetNamespace="https://rectiflow.example/tests">
  <bpmn:message id="Message_probe" name="deploy_probe" />
  <bpmn:process id="deploy_probe" isExecutable="true">
    <bpmn:startEvent id="Event_start">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MED_probe" messageRef="Message_probe" />
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Event_start" targetRef="Timer_probe" />
    <bpmn:intermediateCatchEvent id="Timer_probe" name="Probe">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_probe">
        <bpmn:timeDuration>delay</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Timer_probe" targetRef="Event_end" />
    <bpmn:endEvent id="Event_end"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
PROBE_DELAY = "PT3S"  # long enough to kill a scheduler after the message is answered, short for the budget


@pytest.fixture
def database() -> Iterator[Engine]:
    """A fresh, empty PostgreSQL database: the web's entrypoint creates the schema."""
    with _postgres_engine() as engine:
        yield engine


@pytest.fixture
def deployment(database: Engine, tmp_path: Path) -> Iterator[Deployment]:
    world = Deployment(database.url.render_as_string(hide_password=False), tmp_path)
    try:
        yield world
    finally:
        world.close()


@dataclass
class Record:
    """What the API answered: completions acknowledged (task id, login, form), and requests that got no answer
    because the worker serving them was killed (what, task id)."""

    acknowledged: list[tuple[int, str, str]] = field(default_factory=list)
    unanswered: list[tuple[str, int]] = field(default_factory=list)


class Desk:
    """One person's work over the API. A request that loses its connection (its worker killed) is looked up in the
    database and sent again only if it was not done, as a client would after asking."""

    def __init__(self, http: Http, login: str, token: str, database: Engine, record: Record) -> None:
        self.http, self.login, self.token, self.database, self.record = http, login, token, database, record

    def claimable(self, problem_id: int) -> list[dict[str, Any]]:
        for _ in range(RETRIES):
            try:
                status, page = self.http.get(f"{API}/tasks?tab=claimable&limit=200", token=self.token)
            except CONNECTION_LOST:
                continue
            assert status == 200, page
            return [task for task in page["items"] if task["problem_id"] == problem_id]
        raise AssertionError(f"{self.login}: no answer to the task list")

    def work(self, task: dict[str, Any], data: dict[str, Any]) -> None:
        """Claim and complete ``task``."""
        self._until_done("claim", task["id"], {}, lambda row: row.assignee == self.login)
        body = self._until_done("complete", task["id"], {"data": data},
                                lambda row: row.status == TaskStatus.COMPLETED)
        if body is not None:
            assert body["status"] == "completed", body
            self.record.acknowledged.append((task["id"], self.login, task["form_key"]))

    def _until_done(self, action: str, task_id: int, payload: dict[str, Any],
                    done: Callable[[HumanTask], bool]) -> dict[str, Any] | None:
        """The answer's body; None when the action was done by a request that got no answer."""
        for _ in range(RETRIES):
            try:
                status, body = self.http.post_json(f"{API}/tasks/{task_id}/{action}", payload, token=self.token)
            except CONNECTION_LOST:
                self.record.unanswered.append((action, task_id))
                with Session(self.database) as session:
                    row = session.get(HumanTask, task_id)
                    if row is not None and done(row):
                        return None
                continue
            assert status == 200, (self.login, action, task_id, body)
            return dict(body)
        raise AssertionError(f"{self.login}: {action} {task_id} never answered")


def problem_by_number(http: Http, token: str, number: str) -> dict[str, Any]:
    status, page = http.get(f"{API}/problems?limit=200", token=token)
    assert status == 200, page
    [problem] = [p for p in page["items"] if p["number"] == number]
    return dict(problem)


def test_a_problem_is_closed_over_http_while_a_scheduler_and_a_web_worker_are_killed(
    deployment: Deployment, database: Engine
) -> None:
    record = Record()
    deployment.start_web()
    deployment.wait_until_listening()  # the entrypoint ran check-config and init-db before gunicorn
    deployment.start_schedulers()
    deployment.wait_until_serving()
    plan_with_one_problem(database)  # what an import would add: people, a round, a problem and its measures

    http = Http(deployment.port)
    tokens = {login: Http(deployment.port).personal_token(login, PASSWORD)
              for login in (OFFICER, LEADER, SUPERVISION, ADMIN)}
    officer, leader, supervision = (Desk(http, login, tokens[login], database, record)
                                    for login in (OFFICER, LEADER, SUPERVISION))
    problem = problem_by_number(http, tokens[SUPERVISION], PROBLEM_NUMBER)

    progress = officer.claimable(problem["id"])
    assert [t["form_key"] for t in progress] == ["measure_progress"] * MEASURES
    for task in progress:
        officer.work(task, {"progress": "已重新核对并更新，附签到表", "measure_done": True})

    # Midway: a timer that falls due only after one scheduler is gone, then a web worker lost under load.
    status, deployed = http.post_file(f"{API}/process-definitions", "file", "deploy_probe.bpmn", PROBE.encode(),
                                      token=tokens[ADMIN])
    assert status == 201, deployed
    schedulers = deployment.schedulers()
    deployment.wait_for(lambda: heartbeats(database) >= {p.pid for p in schedulers},
                        "both scheduler replicas ticking")
    status, delivery = http.post_json(f"{API}/messages", {"name": "deploy_probe", "business_key": "probe",
                                                          "data": {"delay": PROBE_DELAY}}, token=tokens[SUPERVISION])
    killed_scheduler, surviving_scheduler = schedulers
    deployment.kill(killed_scheduler)
    assert status == 200 and [i["process_key"] for i in delivery["started"]] == ["deploy_probe"], delivery
    probe = probe_instance(database)
    assert probe.status == "running", "the probe's timer fired before a scheduler was killed: no proof"

    def approve_all() -> None:
        approvals = leader.claimable(problem["id"])
        assert [t["form_key"] for t in approvals] == ["measure_review"] * MEASURES
        for task in approvals:
            leader.work(task, {"review_decision": "approve"})

    # Readers keep both workers busy, so the one killed is serving requests; the approvals go on meanwhile.
    traffic = [Traffic(deployment.port, f"{API}/tasks?tab=claimable", tokens[OFFICER]) for _ in range(TRAFFIC)]
    try:
        for reader in traffic:
            reader.start()
        deployment.wait_for(lambda: all(reader.answers for reader in traffic), "the readers being served")
        with ThreadPoolExecutor(1) as pool:
            approving = pool.submit(approve_all)
            killed_worker, workers = deployment.kill_worker()
            approving.result()
        served_before = sum(reader.answers.total() for reader in traffic)
        deployment.wait_for(lambda: sum(reader.answers.total() for reader in traffic) > served_before + TRAFFIC,
                            "the web serving after the kill")
    finally:
        for reader in traffic:
            reader.stop()
    for reader in traffic:
        assert set(reader.answers) == {200}, reader.answers  # a killed worker drops connections, never answers 5xx
    [verification] = supervision.claimable(problem["id"])
    assert verification["form_key"] == "verification"
    supervision.work(verification, {"verify_decision": "pass"})

    deployment.wait_for(lambda: probe_instance(database).status == "completed", "the survivor firing the probe")

    assert_nothing_lost(database, record, problem["instance_id"], probe.id)
    closed = problem_by_number(http, tokens[SUPERVISION], PROBLEM_NUMBER)
    assert closed["status_name"] == "closed", closed  # 已销号

    # The deployment is whole again: the survivor ticks, gunicorn has two workers, the probes answer.
    assert surviving_scheduler.poll() is None and killed_scheduler.returncode == -9
    assert surviving_scheduler.pid in heartbeats(database)
    assert killed_worker not in workers and deployment.workers() == workers
    assert http.get("/health")[0] == 200
    status, ready = http.get("/ready")
    assert status == 200, ready


def assert_nothing_lost(database: Engine, record: Record, instance_id: int, probe_id: int) -> None:
    """Every acknowledged completion and its audit row, the problem's instance at rest after 销号, the probe's
    timer fired once, no failed timer and no open incident."""
    done_unanswered = {task_id for action, task_id in record.unanswered if action == "complete"}
    acknowledged = {task_id for task_id, _, _ in record.acknowledged}
    assert len(acknowledged | done_unanswered) == 2 * MEASURES + 1, record
    with Session(database) as session:
        for task_id, login, form in record.acknowledged:
            row = session.get(HumanTask, task_id)
            assert row is not None and row.status == TaskStatus.COMPLETED and row.completed_by == login, (task_id, form)
            audited = session.scalars(select(AuditEntry.actor).where(
                AuditEntry.action == "complete", AuditEntry.task_id == task_id)).all()
            assert audited == [login], (task_id, audited)
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "running"  # waiting for 回头看
        rows = session.execute(select(HumanTask.id, HumanTask.status).where(HumanTask.instance_id == instance.id))
        # None open; every one done was acknowledged, or its request lost its connection (and was done then).
        assert dict(rows.tuples().all()) == dict.fromkeys(acknowledged | done_unanswered, TaskStatus.COMPLETED)
        waits = session.scalars(select(Timer.bpmn_id).where(Timer.instance_id == instance.id)).all()
        assert waits == ["Timer_lookback"]
        fired = session.scalars(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.instance_id == probe_id, AuditEntry.action == "timer")).one()
        assert fired == 1
        assert session.scalars(select(Timer.id).where(Timer.instance_id == probe_id)).all() == []
        assert session.scalars(select(func.count()).select_from(Timer).where(Timer.attempts > 0)).one() == 0
        assert session.scalars(select(func.count()).select_from(ServiceIncident).where(
            ServiceIncident.resolved_at.is_(None))).one() == 0


def plan_with_one_problem(database: Engine) -> None:
    """Four people (officer, leader, supervision, administrator) and a launched round of one problem with
    ``MEASURES`` measures, through the services the import and the people commands use."""
    with Session(database) as session:
        office, committee, branch = (create_unit(session, code, name) for code, name in (
            ("XCB", "区委巡察办"), ("ZFW", "区委政法委"), ("DZZ", "机关党总支")))
        people = {login: create_person(session, login=login, name=name, password=PASSWORD, roles=[role], unit=unit)
                  for login, name, role, unit in (
                      (OFFICER, "吴芳", Role.OFFICER, branch), (LEADER, "李书记", Role.LEADER, committee),
                      (SUPERVISION, "赵督查", Role.SUPERVISION, office), (ADMIN, "管理员", Role.ADMIN, office))}
        round_ = create_round(session, title="区委第二巡察组反馈意见整改", at=datetime.now(UTC),
                              inspected_unit=committee)
        problem = add_problem(session, add_part(session, round_, "党的领导方面"), "党性教育开展不扎实",
                              leader=people[LEADER], lead_unit=branch)
        for n in range(1, MEASURES + 1):
            add_measure(session, problem, f"整改措施{n}", deadline=date.today() + timedelta(days=60), units=[branch])
        session.commit()
        launch(session, WorkflowEngine(), round_, Actor(ADMIN, groups=frozenset({Role.ADMIN.value})))
        session.commit()


def heartbeats(database: Engine) -> set[int]:
    """The pids of the scheduler replicas that have ticked (a replica is ``host:pid``)."""
    with Session(database) as session:
        replicas = session.scalars(select(SchedulerHeartbeat.replica).where(
            SchedulerHeartbeat.last_tick_at.is_not(None))).all()
    return {int(replica.rpartition(":")[2]) for replica in replicas}


def probe_instance(database: Engine) -> ProcessInstance:
    with Session(database, expire_on_commit=False) as session:
        return session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "probe")).one()

"""``rectiflow incidents``, ``incidents retry`` and ``scheduler --status``: what an administrator sees of
timers that keep failing, and of the scheduler replicas.

Problem 2.3's lifecycle has a timer that fails on every attempt (a negative wait in its data);
each ``tick`` tries it once, and after the last retry it is an incident: listed with its
problem number and error, counted in the status, put back by an administrator.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, WorkflowEngine
from engine.models import AuditEntry, SchedulerHeartbeat
from engine.runtime import MAX_TIMER_ATTEMPTS
from web.cli import main
from web.scheduler import run_tick
from web.services import services
from web.timer_jobs import Replica
from workflows.models import InspectionRound, Part, Problem
from workflows.schema import upgrade

from .conftest import make_test_app

DIAGRAM = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "poison_duration.bpmn"


@pytest.fixture
def database(empty_database: Engine) -> Engine:
    upgrade(empty_database)
    return empty_database


@pytest.fixture
def rectiflow(database: Engine):
    """The command line on ``database``, as a user types it."""
    url = database.url.render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(main, list(args), env={"RECTIFLOW_DATABASE_URL": url})
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def poisoned_problem(db: Engine) -> tuple[int, int]:
    """Problem 2.3, whose lifecycle fails on every timer attempt, and a healthy instance; both due now."""
    engine = WorkflowEngine(clock=FixedClock(datetime.now(UTC) - timedelta(days=3)))
    with Session(db) as s:
        engine.deploy_path(s, DIAGRAM, actor="admin")
        bad = engine.start(s, "poison_duration", {"delay": "-P1D"}, actor=Actor("admin")).id
        good = engine.start(s, "poison_duration", {"delay": "P1D"}, actor=Actor("admin")).id
        part = Part(round=InspectionRound(title="第一轮巡察", created_at=engine.clock()), ordinal=2, title="党建")
        s.add(Problem(part=part, ordinal=3, title="基层党组织建设薄弱", instance_id=bad))
        s.commit()
    return bad, good


def test_a_timer_failing_every_retry_becomes_an_incident_an_administrator_retries(rectiflow, database):
    bad, _good = poisoned_problem(database)
    rectiflow("people", "add", "boss", "--name", "管理员", "--role", "admin", "--password", "pw-123456789")
    rectiflow("people", "add", "zhang", "--name", "张三", "--role", "officer", "--password", "pw-123456789",
              "--user", "boss")

    first = rectiflow("tick")
    assert first.startswith("timers fired: 1 problem(s) advanced, 1 failed\n")
    assert f"  失败：2.3 基层党组织建设薄弱 — attempt 1 of {MAX_TIMER_ATTEMPTS}: 'Timer_delay' failed" in first
    assert rectiflow("incidents") == "(none)\n"
    for attempt in range(2, MAX_TIMER_ATTEMPTS + 1):  # each tick tries it once
        ticked = rectiflow("tick")
        assert f"attempt {attempt} of {MAX_TIMER_ATTEMPTS}" in ticked
    assert "; an incident now, for an administrator: " in ticked
    assert rectiflow("tick") == "timers fired: none due\n"  # an incident is not retried on its own

    listed = rectiflow("incidents")
    [row] = [line for line in listed.splitlines() if " 2.3 " in line]
    timer_id = row.split()[0]
    assert re.search(rf"^{timer_id}\s+timer\s+2\.3\s+Timer_first\s+{MAX_TIMER_ATTEMPTS}/{MAX_TIMER_ATTEMPTS}"
                     r"\s+\d{4}-", row)
    assert "cannot be negative" in row
    assert rectiflow("incidents", "list") == listed
    status = rectiflow("scheduler", "--status")
    assert "due backlog: 0 timer(s) due\n" in status and "open incidents: 1 (list: rectiflow incidents" in status

    refused = rectiflow("incidents", "retry", timer_id, "--user", "zhang", ok=False)
    assert refused.strip().splitlines()[-1] == ("Error: zhang is not an administrator: only an administrator "
                                                "manages people and units")
    assert rectiflow("incidents") == listed  # refused: nothing changed
    retried = rectiflow("incidents", "retry", timer_id, "--user", "boss")
    assert retried == f"incident {timer_id} (2.3 Timer_first) retried by boss: it fires on the next tick\n"
    assert rectiflow("incidents") == "(none)\n"
    status = rectiflow("scheduler", "--status")
    assert "due backlog: 1 timer(s) due\n" in status and "open incidents: 0\n" in status
    assert re.search(r"oldest due timer: due \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, 2d 0h late", status), status
    with Session(database) as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "incident_retry")).all()
    assert (entry.actor, entry.instance_id, entry.detail["timer"]) == ("boss", bad, int(timer_id))

    again = rectiflow("incidents", "retry", timer_id, "--user", "boss", ok=False)
    assert again.strip().endswith(f"Error: timer {timer_id} is not an incident: it has failed 0 time(s)")
    missing = rectiflow("incidents", "retry", "999999", "--user", "boss", ok=False)
    assert missing.strip().endswith("Error: timer 999999 does not exist")
    assert "attempt 1 of" in rectiflow("tick")  # tried again, and fails again


def test_status_shows_each_replica_running_or_stopped_with_its_last_error(rectiflow, database, monkeypatch):
    assert rectiflow("scheduler", "--status").splitlines()[0] == (
        "scheduler replicas: none has run yet (start one: rectiflow scheduler)")
    app = make_test_app(database)
    found = services(app)
    now = datetime.now(UTC)
    with Session(database) as s:  # a replica that stopped ticking a day ago
        s.add(SchedulerHeartbeat(replica="old-host:41", started_at=now - timedelta(days=2),
                                 last_tick_at=now - timedelta(days=1), next_tick_at=now - timedelta(days=1),
                                 last_fired=7, last_error=None))
        s.commit()
    poisoned_problem(database)
    live = Replica("web-1:4242", now, 60)
    run_tick(found, replica=live)  # fires the healthy instance; the poisoned one fails

    def broken(session, now=None, **_tick):
        raise RuntimeError("connection to server lost")

    ailing = Replica("web-2:4343", now, 60)
    monkeypatch.setattr(found.workflow_engine, "fire_next_due_timer", broken)
    assert run_tick(found, replica=ailing) == []

    lines = rectiflow("scheduler", "--status").splitlines()
    assert lines[0] == "scheduler replicas (a tick every 60s; stopped: not seen for over 180s):"
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert re.match(r"old-host:41\s+stopped\s+\S+ \S+\s+1d 0h ago\s+\S+ \S+\s+7\s*$", rows["old-host:41"])
    assert re.match(r"web-1:4242\s+running\s+.*\s1\s*$", rows["web-1:4242"]), rows
    assert re.match(r"web-2:4343\s+running\s+.*\s0\s+RuntimeError: connection to server lost", rows["web-2:4343"])


def test_a_failing_reminder_job_never_stops_the_timers(database, monkeypatch, caplog):
    _bad, good = poisoned_problem(database)
    found = services(make_test_app(database))
    called = []

    def reminders_fail(found_, now):
        called.append(now)
        raise RuntimeError("smtp exploded")

    monkeypatch.setattr("web.scheduler.run_reminder_jobs", reminders_fail)
    assert run_tick(found) == [good]
    assert len(called) == 1 and "reminder jobs failed; timers are not affected" in caplog.text
    with Session(database) as s:
        assert s.scalar(select(AuditEntry.instance_id).where(AuditEntry.action == "timer")) == good  # committed

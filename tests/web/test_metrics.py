"""``/metrics``: a Prometheus scrape sees the requests served and the work in the database.

The scene is built by the real engine and jobs: the small plan launched, a further problem, the
clock moved past two deadlines (their timers left due, as if every scheduler were down), a
service task that failed, reminders created and mailed to a real SMTP server that refuses one
address, and scheduler heartbeats. One timer is marked as an incident the way the firing code
leaves it after its last attempt (as tests/web/test_admin_instances.py does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, FixedClock, HumanTask, TaskStatus, Timer, WorkflowEngine
from engine.db import Base, make_engine
from engine.heartbeat import record_heartbeat
from engine.incidents import MAX_TIMER_ATTEMPTS
from engine.services import build_registry
from web.config import ConfigError
from web.reminder_jobs import run_reminder_jobs
from web.services import services
from web.timer_jobs import Replica
from workflows.inbox_filters import colour_condition, join_problem
from workflows.models import Person, Reminder
from workflows.warnings import WarningColour

from ..conftest import START
from .conftest import make_test_app
from .plan_helpers import add_running_problem, running_plan
from .smtp_server import smtp_server

TOKEN = "scrape-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIAGRAM = ROOT / "tests" / "fixtures" / "bpmn" / "services" / "svc_http_post.bpmn"
# Past the 2026-02-28 deadlines of the plan's problems 2.1 and 2.2 (the end of that day in China).
LATE = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
DEADLINE_28_FEB = datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics", headers=HEADERS)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def of(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: value for (found, labels), value in samples.items() if found == name}


def one(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=clock, METRICS_TOKEN=TOKEN, WARNING_WINDOW_DAYS=10)


def test_a_scrape_counts_requests_by_endpoint_and_status(app: Flask) -> None:
    client = app.test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health").status_code == 200
    for path in ("/no-such-page", "/wp-admin/../etc/passwd"):
        assert client.get(path).status_code == 404
    assert client.get("/").status_code == 302  # to the sign-in page
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return one(after, name, **labels) - one(before, name, **labels)

    assert delta("rectiflow_http_requests_total", endpoint="health.health", method="GET", status="200") == 3
    assert delta("rectiflow_http_requests_total", endpoint="unmatched", method="GET", status="404") == 2
    assert delta("rectiflow_http_requests_total", endpoint="inbox.index", method="GET", status="302") == 1
    assert delta("rectiflow_http_requests_total", endpoint="metrics.metrics", method="GET", status="200") == 1
    # No raw path becomes a label: the scanned URLs are nowhere in the scrape.
    assert not [key for key in after if any("wp-admin" in value or "no-such" in value for _, value in key[1])]
    health = {"endpoint": "health.health", "method": "GET", "status": "200"}
    assert delta("rectiflow_http_request_duration_seconds_count", **health) == 3
    assert delta("rectiflow_http_request_duration_seconds_bucket", **health, le="+Inf") == 3
    assert delta("rectiflow_http_request_duration_seconds_bucket", **health, le="1.0") == 3  # /health is quick
    assert 0 < delta("rectiflow_http_request_duration_seconds_sum", **health) < 1


def test_the_database_figures(app: Flask, clock: FixedClock, committing_sessions: sessionmaker[Session]) -> None:
    found = services(app)
    plan = running_plan(committing_sessions, clock)
    # Launched now, due 2026-03-10: inside the 10-day warning window on 3 March.
    add_running_problem(committing_sessions, clock, plan, title="台账不全", measures=2, deadline=date(2026, 3, 10))
    with committing_sessions.begin() as session:  # officers and a leader the mail goes to; one is refused
        for login, address in (("officer1", "o1@example.cn"), ("officer2", "o2@example.cn"),
                               ("leader2", "refused@example.cn")):
            session.scalars(select(Person).where(Person.login == login)).one().email = address
    with committing_sessions.begin() as session:
        deployer = WorkflowEngine(clock, services=build_registry(["http_post"], http_hosts=["x.invalid"]))
        deployer.deploy_path(session, SERVICE_DIAGRAM, actor="admin")
        found.workflow_engine.start(session, "svc_http_post", {"url": "http://127.0.0.1/in", "case": "c"},
                                    actor=Actor("admin"))  # http_post is not enabled here: an incident
    clock.set(LATE)
    with committing_sessions.begin() as session:  # one timer gave up after its last attempt
        incident_timer = session.scalars(select(Timer.id).order_by(Timer.due_at.desc())).first()
        session.execute(update(Timer).where(Timer.id == incident_timer).values(attempts=MAX_TIMER_ATTEMPTS))
    with smtp_server() as mailbox:
        mailbox.refuse.add("refused@example.cn")
        mail_app = make_test_app(found.db_engine, ENGINE_CLOCK=clock, **mailbox.settings(MAIL_MAX_ATTEMPTS=1))
        reminded = run_reminder_jobs(services(mail_app), LATE)
    assert reminded.sent >= 1 and reminded.failed >= 1
    replica_a = Replica("sched-a:11", LATE - timedelta(hours=1), 60)
    for _ in range(3):
        replica_a.beat(found, fired=4, error=None)
    with committing_sessions.begin() as session:
        record_heartbeat(session, "sched-b:12", started_at=LATE - timedelta(hours=2),
                         at=LATE - timedelta(minutes=10), next_tick_at=None, fired=0, error="OperationalError: x")

    samples = scrape(app.test_client())

    assert one(samples, "rectiflow_database_up") == 1
    # Open tasks: the inbox filter's colour of each task is the oracle.
    expected: Counter[tuple[str, str]] = Counter()
    with committing_sessions() as session:
        for colour in WarningColour:
            rows = session.execute(join_problem(select(HumanTask.bpmn_id).select_from(HumanTask)).where(
                HumanTask.status == TaskStatus.OPEN, colour_condition(colour, now=LATE, window_days=10)))
            for (step,) in rows:
                expected[(step, colour.value)] += 1
        reminders = Counter((str(r.reason), str(r.mail_status)) for r in session.scalars(select(Reminder)))
    tasks = {(dict(k)["step"], dict(k)["colour"]): v for k, v in of(samples, "rectiflow_open_tasks").items()}
    assert tasks == dict(expected)
    by_colour: Counter[str] = Counter()
    for (_, colour), count in tasks.items():
        by_colour[colour] += count
    assert by_colour["red"] >= 2 and by_colour["yellow"] == 2 and by_colour["blue"] >= 1 and by_colour["green"] >= 1
    assert ("Task_submit_progress", "red") in tasks

    # 2.1 and 2.2's deadline timers are due and late; the incident timer is not counted as due.
    with committing_sessions() as session:
        due_count = len(session.scalars(select(Timer.id).where(
            Timer.due_at <= LATE, Timer.attempts < MAX_TIMER_ATTEMPTS)).all())
    assert due_count >= 2
    assert one(samples, "rectiflow_timers_due") == due_count
    assert one(samples, "rectiflow_timers_retrying") == 0
    assert one(samples, "rectiflow_timers_max_lateness_seconds") == (LATE - DEADLINE_28_FEB).total_seconds()
    assert one(samples, "rectiflow_incidents_open", kind="timer") == 1
    assert one(samples, "rectiflow_incidents_open", kind="service") == 1

    found_reminders = {(dict(k)["reason"], dict(k)["mail_status"]): v
                       for k, v in of(samples, "rectiflow_reminders").items()}
    assert found_reminders == dict(reminders)
    assert found_reminders.get(("overdue", "sent"), 0) >= 1 and found_reminders.get(("overdue", "failed"), 0) >= 1

    assert one(samples, "rectiflow_scheduler_up", replica="sched-a:11") == 1
    assert one(samples, "rectiflow_scheduler_up", replica="sched-b:12") == 0  # silent 10 min > 3 x 60 s
    assert one(samples, "rectiflow_scheduler_last_tick_timestamp_seconds", replica="sched-a:11") == LATE.timestamp()
    assert one(samples, "rectiflow_scheduler_last_tick_age_seconds", replica="sched-b:12") == 600
    assert one(samples, "rectiflow_scheduler_last_fired", replica="sched-a:11") == 4
    assert one(samples, "rectiflow_scheduler_last_tick_failed", replica="sched-b:12") == 1
    assert one(samples, "rectiflow_scheduler_last_tick_failed", replica="sched-a:11") == 0
    assert one(samples, "rectiflow_scheduler_ticks_total", replica="sched-a:11") == 3
    assert one(samples, "rectiflow_scheduler_ticks_total", replica="sched-b:12") == 1
    assert one(samples, "rectiflow_scheduler_failed_ticks_total", replica="sched-b:12") == 1
    assert one(samples, "rectiflow_scheduler_failed_ticks_total", replica="sched-a:11") == 0


def test_metrics_are_off_without_a_token(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> None:
    client = make_test_app(db_engine).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=HEADERS).status_code == 404


def test_a_short_token_stops_the_start(db_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="METRICS_TOKEN must be a string of at least 16 characters"):
        make_test_app(db_engine, METRICS_TOKEN="secret")


def test_a_wrong_or_missing_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
    assert "rectiflow_http_requests" not in client.get("/metrics").get_data(as_text=True)


_WORKER = textwrap.dedent("""
    import os, sys
    from web.app import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1],
                      "METRICS_TOKEN": "t" * 16, "READY_REQUIRE_SCHEDULER": False})
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/health").status_code == 200
    if len(sys.argv) > 3:  # the master saw the other worker exit; then a scrape reaches this one
        from web.metrics import gunicorn_child_exit
        gunicorn_child_exit(None, type("Worker", (), {"pid": int(sys.argv[3])})())
        sys.stdout.write(client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 16}).get_data(as_text=True))
    else:
        print(os.getpid())
""")


def test_worker_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two processes share PROMETHEUS_MULTIPROC_DIR, as gunicorn's workers do: a scrape of either
    counts the requests of both, also after the first one has exited."""
    database = tmp_path / "m.db"
    engine = make_engine(f"sqlite:///{database}")
    Base.metadata.create_all(engine)
    engine.dispose()
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": str(ROOT),
           "RECTIFLOW_INSTANCE_PATH": str(tmp_path)}
    url = f"sqlite:///{database}"
    first = subprocess.run([sys.executable, "-c", _WORKER, url, "2"], env=env, capture_output=True, text=True,
                           timeout=60, check=True)
    pid = first.stdout.strip()
    second = subprocess.run([sys.executable, "-c", _WORKER, url, "3", pid], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    counts = {tuple(sorted(s.labels.items())): s.value
              for family in text_string_to_metric_families(second.stdout) for s in family.samples
              if s.name == "rectiflow_http_requests_total"}
    assert counts[(("endpoint", "health.health"), ("method", "GET"), ("status", "200"))] == 5
    assert any(name.startswith("counter_") for name in os.listdir(shared))

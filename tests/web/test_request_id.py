"""Request ids: each response names its id (``X-Request-ID``), every audit row of the request and
of a scheduler tick carries it, and a JSON log line of the request says it."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, HumanTask, TaskStatus
from engine.models import AuditEntry
from engine.request_context import request_id_scope
from web.config import ConfigError
from web.logging_setup import JsonFormatter, make_handler
from web.scheduler import run_tick
from web.services import services

from ..conftest import START
from .authorisation_world import sign_in
from .conftest import AuthActions, make_test_app
from .plan_helpers import running_plan

FRESH = re.compile(r"[0-9a-f]{32}")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=clock)


def test_a_sane_incoming_id_is_echoed_and_a_missing_one_generated(app: Flask) -> None:
    client = app.test_client()
    given = "edge-7f3a.B_" + "9" * 52  # 64 characters
    assert client.get("/health", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    first, second = (client.get("/health").headers["X-Request-ID"] for _ in range(2))
    assert FRESH.fullmatch(first) and FRESH.fullmatch(second) and first != second
    assert FRESH.fullmatch(client.get("/no-such-page").headers["X-Request-ID"])  # a 404 has one too


def test_a_hostile_incoming_id_is_replaced(app: Flask) -> None:
    client = app.test_client()
    for hostile in ("a" * 65, "x y", "id;Set-Cookie=s", "<script>", "a/b", "{}", "tab\there", ""):
        response = client.get("/health", headers={"X-Request-ID": hostile})
        assert FRESH.fullmatch(response.headers["X-Request-ID"]), hostile
        assert hostile not in response.headers.getlist("X-Request-ID"), hostile


def test_the_audit_rows_of_a_claim_and_a_completion_carry_their_requests_id(
    app: Flask, clock: FixedClock, committing_sessions: sessionmaker[Session]
) -> None:
    running_plan(committing_sessions, clock)
    client = app.test_client()
    sign_in(client, "officer1")
    with committing_sessions() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.status == TaskStatus.OPEN, HumanTask.candidate_unit == "U1",
            HumanTask.bpmn_id == "Task_submit_progress").order_by(HumanTask.id)).first()
        last_before = session.scalar(select(func.max(AuditEntry.id))) or 0
    assert task_id is not None

    claimed = client.post(f"/tasks/{task_id}/claim", headers={"X-Request-ID": "claim-from-proxy-1"})
    assert claimed.status_code == 302 and claimed.headers["X-Request-ID"] == "claim-from-proxy-1"
    completed = client.post(f"/tasks/{task_id}/complete", data={"progress": "已组织学习"})
    assert completed.status_code == 303, completed.get_data(as_text=True)[:300]
    completion_id = completed.headers["X-Request-ID"]
    assert FRESH.fullmatch(completion_id)

    with committing_sessions() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.task_id, AuditEntry.request_id)
                               .where(AuditEntry.id > last_before).order_by(AuditEntry.id)).all()
    assert ("claim", task_id, "claim-from-proxy-1") in rows
    completion_rows = [row for row in rows if row.request_id == completion_id]
    assert any(row.task_id == task_id for row in completion_rows), rows
    assert {row.request_id for row in rows} == {"claim-from-proxy-1", completion_id}  # no row without an id


def test_a_scheduler_tick_audits_under_an_id_of_its_own(
    app: Flask, clock: FixedClock, committing_sessions: sessionmaker[Session]
) -> None:
    running_plan(committing_sessions, clock)
    with committing_sessions() as session:
        last_before = session.scalar(select(func.max(AuditEntry.id))) or 0
    clock.set(datetime(2026, 3, 3, 1, 0, tzinfo=UTC))  # past two measures' deadlines: their timers fire
    assert len(run_tick(services(app))) >= 2
    run_tick(services(app), clock() + timedelta(days=1))
    with committing_sessions() as session:
        ids = session.scalars(select(AuditEntry.request_id).where(AuditEntry.id > last_before)).all()
    assert ids and all(found is not None and re.fullmatch(r"tick-[0-9a-f]{32}", found) for found in ids)
    assert len(set(ids)) == 1  # the second tick fired nothing: one tick, one id


def test_a_json_log_line_carries_the_request_id(app: Flask, auth: AuthActions) -> None:
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("web.test_request_id")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    @app.get("/_log_something")
    def log_something() -> str:
        logger.warning("审批 %s", "已通过")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
        return "ok"

    try:
        auth.create()
        auth.login()
        response = auth.client.get("/_log_something", headers={"X-Request-ID": "trace-42"})
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 200
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "审批 已通过" and first["level"] == "WARNING"
    assert first["logger"] == "web.test_request_id" and first["request_id"] == "trace-42"
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert "exception" not in first
    assert second["request_id"] == "trace-42" and second["level"] == "ERROR"
    assert "ValueError: boom" in second["exception"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a tick", None, None)
    with request_id_scope("tick-1"):
        assert json.loads(JsonFormatter().format(record))["request_id"] == "tick-1"
    assert "request_id" not in json.loads(JsonFormatter().format(record))  # outside any request or tick


def test_an_unknown_log_format_stops_the_start(db_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="LOG_FORMAT must be text or json, got 'xml'"):
        make_test_app(db_engine, LOG_FORMAT="xml")


_WEB_PROCESS = textwrap.dedent("""
    import sys
    from web.app import create_app
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": sys.argv[1]})
    app.test_client().get("/ready", headers={"X-Request-ID": "probe-1"})
""")


def test_a_web_process_with_log_format_json_writes_json_lines(tmp_path: Path) -> None:
    """As under gunicorn: ``create_app`` outside any command sets up the process's log."""
    missing = tmp_path / "no-such-folder" / "rectiflow.db"
    env = {**os.environ, "RECTIFLOW_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT),
           "RECTIFLOW_INSTANCE_PATH": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run([sys.executable, "-c", _WEB_PROCESS, f"sqlite:///{missing}"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    [ready] = [line for line in lines if "readiness check" in line["message"]]
    assert ready["request_id"] == "probe-1" and ready["level"] == "WARNING" and ready["logger"] == "web.health"
    assert "database unreachable" in ready["message"]


def test_rectiflow_serve_logs_json_lines_too(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECTIFLOW_")}
    env.update(RECTIFLOW_LOG_FORMAT="json", RECTIFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
               RECTIFLOW_INSTANCE_PATH=str(tmp_path / "instance"), RECTIFLOW_SECRET_KEY="x" * 40)
    rectiflow = Path(sys.executable).parent / "rectiflow"
    subprocess.run([str(rectiflow), "init-db"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([str(rectiflow), "serve", "--no-scheduler", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    answered = response.headers["X-Request-ID"]
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()[1]
                time.sleep(0.2)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=20)
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "werkzeug" and "GET /health" in line["message"]]
    assert answered and requests, errors
    assert all(line.startswith("{") for line in errors.splitlines() if line.strip()), errors

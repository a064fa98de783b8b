"""``/ready``: 200 when the database answers, its schema is current and a scheduler ticks; 503 naming what is not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock
from engine.heartbeat import STOPPED_AFTER_INTERVALS, record_heartbeat
from web.app import create_app
from web.scheduler import run_tick
from web.services import services
from web.timer_jobs import Replica
from workflows.schema import head_revision, upgrade

from ..conftest import START
from .conftest import make_test_app

INTERVAL = 30


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=clock, SCHEDULER_INTERVAL_SECONDS=INTERVAL)


def beat(sessions: sessionmaker[Session], replica: str, seconds_ago: float) -> None:
    at = START - timedelta(seconds=seconds_ago)
    with sessions.begin() as session:
        record_heartbeat(session, replica, started_at=at - timedelta(hours=1), at=at, next_tick_at=None,
                         fired=0, error=None)


def test_ready_after_a_real_scheduler_tick(app: Flask) -> None:
    assert app.test_client().get("/ready").status_code == 503
    run_tick(services(app), replica=Replica("web-test:1", START, INTERVAL))
    response = app.test_client().get("/ready")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "checks": {"database": "ok", "schema": "ok", "scheduler": "ok"}}


def test_no_heartbeat_is_not_ready_and_says_so(app: Flask) -> None:
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["failing"] == ["scheduler"]
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["schema"] == "ok"
    assert "no heartbeat" in response.json["checks"]["scheduler"]


def test_a_heartbeat_older_than_the_stopped_limit_is_stale(
    app: Flask, committing_sessions: sessionmaker[Session]
) -> None:
    limit = INTERVAL * STOPPED_AFTER_INTERVALS
    beat(committing_sessions, "old:1", limit + 1)
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["failing"] == ["scheduler"]
    assert response.json["checks"]["scheduler"] == f"stale: last heartbeat {limit + 1} s ago (limit {limit} s)"
    # One live replica among stopped ones is enough: the freshest heartbeat counts.
    beat(committing_sessions, "live:2", limit)
    assert app.test_client().get("/ready").status_code == 200


def test_without_a_required_scheduler_only_the_database_counts(db_engine: Engine,
                                                               committing_sessions: sessionmaker[Session]) -> None:
    app = make_test_app(db_engine, READY_REQUIRE_SCHEDULER=False)
    response = app.test_client().get("/ready")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "schema": "ok"}


def test_an_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "rectiflow.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{missing}"})
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["failing"] == ["database"]
    assert response.json["checks"] == {"database": "unreachable"}


def test_a_schema_behind_the_code_is_not_ready_until_migrated(empty_database: Engine) -> None:
    upgrade(empty_database, "0012")
    app = make_test_app(empty_database, READY_REQUIRE_SCHEDULER=False)
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["failing"] == ["schema"]
    assert response.json["checks"]["schema"] == f"at revision 0012, needs {head_revision()}"
    upgrade(empty_database)
    assert app.test_client().get("/ready").status_code == 200

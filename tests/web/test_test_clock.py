"""The test clock (issue 8, item 7): a movable clock only through ``create_app(test_config)``.

Browser tests serve the app from a thread of the test process (werkzeug's ``make_server``)
with ``ENGINE_CLOCK=FixedClock(...)``, move that object and fire timers with
``web.scheduler.run_tick``. No setting from the environment or the instance file can do
the same, and a production app runs on the system clock. Everything in the web and the
domain that asks "what time is it" asks the engine's clock.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from engine import FixedClock, ProcessEvent, system_clock
from web.app import create_app
from web.config import ConfigError
from web.scheduler import run_tick
from web.services import services
from workflows.models import Person, Role

from ..lifecycle_helpers import deploy_lifecycle, start
from .conftest import PASSWORD, make_test_app

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
# Where reading the wall clock is right, and why.
WALL_CLOCK_ALLOWED = {
    "web/scheduler.py": "APScheduler's first run is real time: it decides when to tick, not what time it is",
    "workflows/report/model.py": "the report's date when a caller gives none; the CLI and web pass the clock's",
}
WALL_CLOCK = re.compile(r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(|system_clock\(")


@contextlib.contextmanager
def _served(app: Flask) -> Iterator[int]:
    """The app on 127.0.0.1 in a thread of this process, as the browser tests serve it; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _sign_in(port: int, password: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/login", body=urlencode({"login": "officer1", "password": password}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_production_app_runs_on_the_system_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("RECTIFLOW_SECRET_KEY", "production-secret")
    app = create_app()
    assert services(app).workflow_engine.clock is system_clock
    assert "ENGINE_CLOCK" not in app.config


def test_no_environment_variable_makes_the_clock_movable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    for name in ("ENGINE_CLOCK", "CLOCK", "NOW", "FIXED_CLOCK", "TESTING"):
        monkeypatch.setenv(f"RECTIFLOW_{name}", "2030-01-01T00:00:00+00:00")
    app = create_app({"SECRET_KEY": "x"})
    assert services(app).workflow_engine.clock is system_clock
    assert "ENGINE_CLOCK" not in app.config


@pytest.mark.parametrize("line", [
    "from engine import FixedClock\nfrom datetime import datetime, UTC\n"
    "ENGINE_CLOCK = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))\n",
    "ENGINE_CLOCK = '2030-01-01'\n",
    "DB_ENGINE = None\n",
])
def test_the_instance_file_cannot_hand_in_a_clock_or_a_database_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "rectiflow.cfg").write_text(f"DATABASE_URL = 'sqlite:///{tmp_path / 'p.db'}'\n{line}")
    monkeypatch.setenv("RECTIFLOW_INSTANCE_PATH", str(instance))
    with pytest.raises(ConfigError, match="test-only"):
        create_app()


def test_a_served_app_runs_on_the_clock_the_test_moves(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    """Over real HTTP: a sign-in lock ends when the test's clock passes it, and timers fire on it."""
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, LOGIN_LOCKOUT_SECONDS=60)
    found = services(app)
    with committing_sessions.begin() as session:
        session.add(Person(login="officer1", name="王敏", password_hash=generate_password_hash(PASSWORD),
                           roles={Role.OFFICER}))
        deploy_lifecycle(session, found.workflow_engine)
        instance_id = start(session, found.workflow_engine, measures=1, deadline_days=30).id
    with _served(app) as port:
        for _ in range(5):
            assert _sign_in(port, "wrong password")[0] == 200
        status, page = _sign_in(port, PASSWORD)
        assert status == 200 and "分钟后再试" in page  # locked, even with the right password
        clock.advance(seconds=61)  # no sleeping: the wall clock has hardly moved
        assert _sign_in(port, PASSWORD)[0] == 302

        assert run_tick(found) == []  # the deadline is a month away
        clock.advance(days=31)
        assert run_tick(found) == [instance_id]
    with committing_sessions() as session:
        events = session.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == instance_id))
        assert [(e.name, e.at) for e in events] == [("measure_overdue", clock())]


def test_the_web_and_the_domain_ask_the_engine_clock_what_time_it_is() -> None:
    found = {}
    for top in ("web", "workflows"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WALL_CLOCK.search(text) and name not in WALL_CLOCK_ALLOWED:
                    found[f"{name}:{number}"] = text.strip()
    assert found == {}, "read services().workflow_engine.clock() (or take `now`) instead of the wall clock"
    assert WALL_CLOCK.search("now = datetime.now(UTC)")  # the check can fail

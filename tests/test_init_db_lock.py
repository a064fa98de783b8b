"""``rectiflow init-db`` from several processes at once (containers starting together) migrates once.

Real ``rectiflow`` processes on one fresh database, on SQLite and on PostgreSQL: one sets the
database up under ``workflows.schema.schema_lock``, the others wait and find it done.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine

from web.cli import main
from workflows.schema import BPMN_DIR, SchemaLockTimeout, head_revision, schema_lock

from .conftest import new_database

RECTIFLOW = Path(sys.executable).with_name("rectiflow")
PROCESSES = 3
BUNDLED = sorted(path.name for path in BPMN_DIR.glob("*.bpmn"))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database nobody has set up yet (on PostgreSQL: a new, empty one)."""
    with new_database(request.param, tmp_path, "fresh.db") as engine:
        yield engine


def environment(engine: Engine, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECTIFLOW_")}
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {**env, "RECTIFLOW_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "RECTIFLOW_INSTANCE_PATH": str(instance)}


def start(args: list[str], env: dict[str, str], folder: Path, name: str) -> tuple[subprocess.Popen[str], Path]:
    """A process started now, its output (stdout and stderr) going to the file it is returned with."""
    output = folder / f"{name}.out"
    with output.open("w") as handle:
        process = subprocess.Popen(args, env=env, cwd=folder, stdout=handle, stderr=subprocess.STDOUT, text=True)
    return process, output


def wait_for(condition: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def definitions(engine: Engine) -> list[tuple[str, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT process_key, version, source_name FROM process_definition "
                                       "ORDER BY process_key, version"))
        return [(key, version, source) for key, version, source in rows]


def revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.scalar(text("SELECT version_num FROM alembic_version")))


def test_init_db_started_three_times_at_once_migrates_and_deploys_once(fresh_database: Engine,
                                                                      tmp_path: Path) -> None:
    env = environment(fresh_database, tmp_path)
    waiting = "waiting for another 'rectiflow init-db' on this database to finish ..."
    started: list[subprocess.Popen[str]] = []
    try:
        # Held here first, so that all three surely meet it (were it no lock, none would wait and
        # wait_for would time out); once it is let go they race for it.
        with schema_lock(fresh_database):
            runs = [start([str(RECTIFLOW), "init-db"], env, tmp_path, f"init-db-{n}") for n in range(PROCESSES)]
            started += [process for process, _ in runs]
            wait_for(lambda: all(waiting in output.read_text() for _, output in runs))
            with fresh_database.connect() as connection:  # nobody touched the database while waiting
                assert "alembic_version" not in fresh_database.dialect.get_table_names(connection)
        codes = [process.wait(timeout=120) for process, _ in runs]
    finally:
        for process in started:
            process.kill()  # whatever failed, no process outlives the test (a finished one is left alone)

    outputs = [output.read_text() for _, output in runs]
    assert codes == [0] * PROCESSES, outputs
    created = [out for out in outputs if f"schema created at revision {head_revision()}" in out]
    assert len(created) == 1, outputs
    assert created[0].count(": deployed") == len(BUNDLED)
    for out in outputs:
        if out is not created[0]:
            assert f"schema at revision {head_revision()}, already current" in out
            assert out.count(": unchanged") == len(BUNDLED) and ": deployed" not in out
    assert revision(fresh_database) == head_revision()
    deployed = definitions(fresh_database)
    assert sorted(source for _, _, source in deployed) == BUNDLED
    assert all(version == 1 for _, version, _ in deployed)  # one version each: nobody deployed twice


def test_init_db_waits_for_the_lock_a_bounded_time_then_says_why(fresh_database: Engine, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("RECTIFLOW_")]:
        monkeypatch.delenv(key)  # a developer's own settings stay out of the test
    for key, value in environment(fresh_database, tmp_path).items():
        if key.startswith("RECTIFLOW_"):
            monkeypatch.setenv(key, value)
    with schema_lock(fresh_database):  # another init-db, still at work (a lock is a lock within one process too)
        started = time.monotonic()
        with pytest.raises(SchemaLockTimeout):
            with schema_lock(fresh_database, wait=0.3):
                pass
        result = CliRunner().invoke(main, ["init-db", "--wait", "0.3"])
        waited = time.monotonic() - started

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "waiting for another 'rectiflow init-db' on this database to finish ...",
        "Error: another 'rectiflow init-db' has been setting up this database for over 0.3 seconds; "
        "wait for it to finish (or stop it), then try again"]
    assert 0.6 <= waited < 20
    with fresh_database.connect() as connection:
        assert "alembic_version" not in fresh_database.dialect.get_table_names(connection)
    assert CliRunner().invoke(main, ["init-db"]).exit_code == 0  # the lock ended with its holder
    assert revision(fresh_database) == head_revision()


def test_init_db_upgrades_states_an_earlier_release_saved(fresh_database: Engine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from engine import FixedClock, ProcessInstance, WorkflowEngine
    from engine.serialization import CURRENT_TAIL

    from .conftest import START
    from .engine.test_state_migration import insert_instance, plain_state

    for key in [key for key in os.environ if key.startswith("RECTIFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in environment(fresh_database, tmp_path).items():
        if key.startswith("RECTIFLOW_"):
            monkeypatch.setenv(key, value)
    first = CliRunner().invoke(main, ["init-db"])
    assert first.exit_code == 0 and "workflow states" not in first.output  # nothing to upgrade: not mentioned
    with Session(fresh_database) as session, session.begin():
        old = insert_instance(session, WorkflowEngine(clock=FixedClock(START)), plain_state("3.1.2")).id

    result = CliRunner().invoke(main, ["init-db"])

    assert result.exit_code == 0, result.output
    assert "workflow states: 1 upgraded to rectiflow-2 (SpiffWorkflow serializer 1.5)" in result.output.splitlines()
    with Session(fresh_database) as session:
        assert session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == old)).endswith(CURRENT_TAIL)

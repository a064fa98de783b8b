"""One application, one configuration: ``rectiflow`` runs in the app, on the app's settings and services."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock
from web.app import create_app
from web.cli import main
from web.services import services
from workflows.people import person_by_login

from ..conftest import SEED
from .conftest import make_test_app


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An instance folder of our own, and a working directory where ``./rectiflow.db`` would land."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("RECTIFLOW_INSTANCE_PATH", str(folder))
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return folder


def test_rectiflow_and_the_app_use_the_database_of_the_instance_file(instance: Path, tmp_path: Path) -> None:
    database = tmp_path / "x.db"
    (instance / "rectiflow.cfg").write_text(f'DATABASE_URL = "sqlite:///{database}"\n', encoding="utf-8")
    runner = CliRunner()

    result = runner.invoke(main, ["init-db"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"database ready: sqlite:///{database}"
    assert database.exists() and not (Path.cwd() / "rectiflow.db").exists()
    added = runner.invoke(main, ["people", "add", "boss", "--name", "Boss", "--role", "admin", "--password",
                                 "boss-password"], catch_exceptions=False)
    assert added.exit_code == 0, added.output

    found = services(create_app())
    try:
        assert found.db_engine.url.database == str(database)
        assert "person" in inspect(found.db_engine).get_table_names()
        with found.session_factory() as session:
            person = person_by_login(session, "boss")
            assert person is not None and person.name == "Boss"  # written by rectiflow, read by the app
    finally:
        found.db_engine.dispose()


def test_help_needs_no_configuration_and_a_bad_setting_is_one_line(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (instance / "rectiflow.cfg").write_text("DATABASE_URL = (\n", encoding="utf-8")
    runner = CliRunner()

    helped = runner.invoke(main, ["--help"])
    assert helped.exit_code == 0 and "init-db" in helped.output and "import-plan" in helped.output

    broken = runner.invoke(main, ["init-db"])
    assert broken.exit_code == 1 and isinstance(broken.exception, SystemExit)
    assert broken.output.startswith(f"Error: cannot read {instance / 'rectiflow.cfg'}:")
    assert len(broken.output.strip().splitlines()) == 1 and "Traceback" not in broken.output

    (instance / "rectiflow.cfg").unlink()
    monkeypatch.setenv("RECTIFLOW_SCHEDULER_INTERVAL_SECONDS", "often")
    wrong = runner.invoke(main, ["tasks", "--user", "boss"])
    assert wrong.exit_code == 1
    assert wrong.output == "Error: RECTIFLOW_SCHEDULER_INTERVAL_SECONDS must be a whole number, got 'often'\n"
    assert not (Path.cwd() / "rectiflow.db").exists()


def test_the_commands_are_registered_on_the_app_and_use_its_services(
    app: Flask, committing_sessions: sessionmaker[Session]
) -> None:
    assert set(app.cli.commands) == set(main.commands)
    cli = app.test_cli_runner()
    added = cli.invoke(args=["people", "add", "ops", "--name", "运维", "--role", "admin", "--password", "ops-password"])
    assert added.exit_code == 0, added.output
    with committing_sessions() as session:  # committed on the app's database
        person = person_by_login(session, "ops")
        assert person is not None and person.name == "运维"
    assert cli.invoke(args=["tasks", "--user", "ops"]).output == "(none)\n"
    unknown = cli.invoke(args=["tasks", "--user", "nobody"])
    assert unknown.exit_code == 1 and unknown.output == "Error: no active person with login 'nobody'\n"


def test_today_is_the_workflow_engines_today(
    db_engine: Engine, committing_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2031, 5, 6, 3, 0, tzinfo=UTC))
    cli = make_test_app(db_engine, ENGINE_CLOCK=clock).test_cli_runner()
    assert cli.invoke(args=["people", "add", "admin", "--name", "管理员", "--role", "admin",
                            "--password", "admin-password"]).exit_code == 0
    imported = cli.invoke(args=["import-plan", str(SEED), "--no-launch"])
    assert imported.exit_code == 0, imported.output

    report = tmp_path / "report.txt"
    written = cli.invoke(args=["report", "-o", str(report)])
    assert written.exit_code == 0, written.output
    assert "2031年5月6日" in report.read_text(encoding="utf-8")

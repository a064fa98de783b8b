"""No ``rectiflow`` command ever ends in a traceback: a bad database, file or login is one line and a non-zero exit.

The sweeps run every command of ``web.cli.commands.COMMANDS`` (arguments generated from its
click parameters, see ``cli_invocations``) against an uninitialised database, an unreachable
PostgreSQL and a read-only SQLite file. A command whose answer does not name the database's
problem must answer exactly as it does on a healthy database: it failed on its input, or
needed no database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from engine.db import make_engine
from web.cli import main
from web.config import DEFAULTS, ENV_PREFIX
from workflows.models import InspectionRound
from workflows.schema import head_revision, upgrade

from ..conftest import SEED
from .cli_invocations import every_command, invocations
from .conftest import make_test_app

# The commands that create or upgrade the schema themselves (``pass_schema_services``).
SCHEMA_COMMANDS = frozenset(path[0] for path, command in every_command()
                            if getattr(command.callback, "checks_schema", True) is False)
BLOCKING = {"serve", "scheduler"}  # they run until stopped once the database is fit
ADMIN = ("people", "add", "admin", "--name", "管理员", "--role", "admin", "--password", "admin-password")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def rectiflow(url: str, *args: str | Path) -> Result:
    """One ``rectiflow`` run on the database at ``url``, exceptions caught as a user's terminal would."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"RECTIFLOW_DATABASE_URL": url})


def ok(url: str, *args: str | Path) -> str:
    result = rectiflow(url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def error_line(result: Result) -> str:
    """The one-line failure a command ended with (and nothing that looks like a traceback)."""
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.output
    return last


class Sweep:
    """Runs every command on one bad database and collects the answers that are not clean."""

    def __init__(self, tmp_path: Path, healthy: Path) -> None:
        self.folder = tmp_path / "sweep"
        self.folder.mkdir()
        self.healthy = healthy
        self.copies = 0

    def sample(self, name: str) -> Path:
        """An existing file for path parameters: a real plan (so ``import-plan`` gets past parsing)."""
        path = self.folder / f"{name.replace(' ', '-')}.txt"
        shutil.copyfile(SEED, path)
        return path

    def healthy_copy(self) -> str:
        """A fresh copy of the healthy database, so a comparison run changes nothing for the next one."""
        self.copies += 1
        copy = self.folder / f"healthy-{self.copies}.db"
        with sqlite3.connect(self.healthy) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        return sqlite_url(copy)

    def run(self, url: str, hint: str, *, may_succeed: bool = False, skip: set[str] | frozenset[str] = frozenset(),
            only: set[str] | frozenset[str] | None = None) -> list[str]:
        """Every command (but ``skip``; or ``only``) on ``url``; returns what went wrong, one line per command.

        A clean answer is a one-line error naming the problem (``hint``), success where
        ``may_succeed``, or the very answer the command gives on a healthy database.
        """
        problems = []
        for path, _ in every_command():
            name = " ".join(path)
            if name in skip or (only is not None and name not in only):
                continue
            sample = self.sample(name)
            [invocation] = [i for i in invocations(sample) if i.name == name]
            result = rectiflow(url, *invocation.argv())
            output = result.output
            lines = output.strip().splitlines() or [""]
            if "Traceback" in output or "internal error" in output or not (
                    result.exception is None or isinstance(result.exception, SystemExit)):
                problems.append(f"{name}: {result.exception!r}\n{output}")
            elif result.exit_code != 0 and not lines[-1].startswith("Error: "):
                problems.append(f"{name}: exit {result.exit_code} without an error line: {output!r}")
            elif result.exit_code != 0 and hint in lines[-1]:
                continue
            elif result.exit_code == 0 and may_succeed:
                continue
            elif name in BLOCKING:
                problems.append(f"{name}: does not stop on this database: {output!r}")
            else:
                shutil.copyfile(SEED, sample)  # as it was before the first run
                healthy = rectiflow(self.healthy_copy(), *invocation.argv())
                if (healthy.exit_code, healthy.output) != (result.exit_code, output):
                    problems.append(f"{name}: no '{hint}' in {output!r} (healthy database: {healthy.output!r})")
        return problems


@pytest.fixture(scope="module")
def healthy_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database set up as a user would: ``init-db``, an administrator, a plan with its lifecycles.

    Built once per module (seconds of commands); each test gets a copy, as several change it.
    """
    path = tmp_path_factory.mktemp("healthy") / "healthy.db"
    url = sqlite_url(path)
    with pytest.MonkeyPatch.context() as env:  # as clean as ``_no_rectiflow_env`` makes each test's
        for key in DEFAULTS:
            env.delenv(ENV_PREFIX + key, raising=False)
        env.setenv("RECTIFLOW_INSTANCE_PATH", str(path.parent))
        ok(url, "init-db")
        ok(url, *ADMIN)
        ok(url, "import-plan", SEED)
    return path


@pytest.fixture
def healthy(healthy_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the healthy database."""
    path = tmp_path / "healthy.db"
    with contextlib.closing(sqlite3.connect(healthy_template)) as source, \
            contextlib.closing(sqlite3.connect(path)) as target:
        source.backup(target)
    return path


@pytest.fixture
def sweep(tmp_path: Path, healthy: Path) -> Sweep:
    return Sweep(tmp_path, healthy)


def test_every_command_on_an_uninitialised_database_says_run_init_db(
    sweep: Sweep, empty_database: Engine, healthy: Path
) -> None:
    url = empty_database.url.render_as_string(hide_password=False)
    missing = Path(empty_database.url.database or "") if empty_database.dialect.name == "sqlite" else None

    assert sweep.run(url, "run 'rectiflow init-db'", skip=SCHEMA_COMMANDS) == []
    if missing is not None:
        assert not missing.exists(), "a command that found no database created one"
    else:
        assert "has no schema yet" in error_line(rectiflow(url, "ledger"))  # PostgreSQL: an empty database

    # init-db sets up the schema and the bundled diagram, so a plan can be imported straight away.
    created = ok(url, "init-db").splitlines()
    assert created[1:] == [f"schema created at revision {head_revision()}",
                           "feedback_triage v1 (feedback_triage.bpmn): deployed",
                           "rectification v1 (rectification.bpmn): deployed"]
    ok(url, *ADMIN)
    assert "(25 lifecycles launched)" in ok(url, "import-plan", SEED)
    assert ok(url, "init-db").splitlines()[1:] == [f"schema at revision {head_revision()}, already current",
                                                   "feedback_triage v1 (feedback_triage.bpmn): unchanged",
                                                   "rectification v1 (rectification.bpmn): unchanged"]
    assert missing is None or missing.exists()


def test_every_command_against_an_unreachable_postgresql_names_its_host_and_port(sweep: Sweep) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://rectiflow:secret@127.0.0.1:{port}/rectiflow"

    assert sweep.run(url, f"cannot reach PostgreSQL at 127.0.0.1:{port}: ") == []
    assert error_line(rectiflow(url, "init-db")) == (
        f"Error: cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused")
    assert error_line(rectiflow(url, "serve")).startswith(f"Error: cannot reach PostgreSQL at 127.0.0.1:{port}")


def test_every_command_on_a_read_only_database_file_reads_or_says_read_only(sweep: Sweep, healthy: Path) -> None:
    url = f"sqlite:///file:{healthy}?mode=ro&uri=true"
    before = ok(sqlite_url(healthy), "ledger")

    assert sweep.run(url, f"the database file {healthy} is read-only", may_succeed=True, skip=BLOCKING) == []
    assert ok(url, "ledger") == before  # reading needs no write access
    assert error_line(rectiflow(url, "people", "add", "zhang", "--name", "张三", "--role", "officer")) == (
        f"Error: the database file {healthy} is read-only")
    assert error_line(rectiflow(url, "claim", "1", "--user", "admin")).startswith("Error: ")
    assert ok(sqlite_url(healthy), "ledger") == before


def test_a_locked_database_file_is_a_message_once_the_busy_timeout_passes(healthy: Path) -> None:
    url = sqlite_url(healthy) + "?timeout=0.1"  # the wait a user would set in DATABASE_URL
    before = ok(url, "people", "list")
    holder = sqlite3.connect(healthy, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process writing
        refused = rectiflow(url, "people", "add", "zhang", "--name", "张三", "--role", "officer")
        assert error_line(refused) == f"Error: the database file {healthy} is locked by another process; try again"
        assert ok(url, "people", "list") == before  # readers are not held up (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "person zhang added" in ok(url, "people", "add", "zhang", "--name", "张三", "--role", "officer")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_while_writing_a_file_is_one_line(healthy: Path) -> None:
    url = sqlite_url(healthy)
    for args in (("report", "--format", "txt", "-o", "/dev/full"), ("report", "--format", "docx", "-o", "/dev/full"),
                 ("export-ledger", "-o", "/dev/full")):
        assert error_line(rectiflow(url, *args)) == "Error: disk full: cannot write /dev/full", args


@pytest.fixture
def full_database(healthy: Path) -> Iterator[Engine]:
    """The healthy database on an engine whose file cannot grow by a single page (a full disk)."""
    engine = make_engine(sqlite_url(healthy))

    @event.listens_for(engine, "connect")
    def _no_room(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    yield engine
    engine.dispose()


def test_a_database_that_cannot_grow_is_disk_full_and_keeps_nothing(full_database: Engine, healthy: Path) -> None:
    cli = make_test_app(full_database).test_cli_runner()
    with full_database.connect() as conn:
        rounds = conn.scalar(select(func.count()).select_from(InspectionRound))

    result = cli.invoke(args=["import-plan", str(SEED)])
    assert error_line(result) == (
        f"Error: disk full: the database file {healthy} cannot grow (database or disk is full)")
    with full_database.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(InspectionRound)) == rounds


def test_an_older_schema_asks_for_init_db_which_upgrades_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine, "0005")
    engine.dispose()
    url, head = sqlite_url(path), head_revision()

    for args in (("ledger",), ("people", "list"), ("deploy",), ("serve",)):
        assert error_line(rectiflow(url, *args)) == (
            f"Error: the database schema is at revision 0005, this version needs {head}: "
            "run 'rectiflow init-db' to upgrade"), args
    assert ok(url, "init-db").splitlines()[1] == f"schema upgraded from revision 0005 to {head}"
    assert ok(url, "people", "list") == "(none)\n"


def test_a_newer_schema_is_refused_and_left_alone(healthy: Path) -> None:
    url = sqlite_url(healthy)
    with sqlite3.connect(healthy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    newer = (f"Error: the database schema is at revision 9999, newer than this version of Rectiflow knows "
             f"(its newest is {head_revision()}): upgrade Rectiflow")

    for args in (("ledger",), ("init-db",), ("demo",), ("scheduler",)):
        assert error_line(rectiflow(url, *args)) == newer, args
    with sqlite3.connect(healthy) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]


def test_an_unknown_login_is_named_and_changes_nothing(healthy: Path) -> None:
    url = sqlite_url(healthy)
    before = ok(url, "rounds")
    assert error_line(rectiflow(url, "tasks", "--user", "nobody")) == "Error: no active person with login 'nobody'"
    assert error_line(rectiflow(url, "import-plan", SEED, "--user", "nobody")) == (
        "Error: no active person with login 'nobody'")
    assert ok(url, "rounds") == before


def test_missing_files_folders_and_a_folder_for_a_file_are_one_line(healthy: Path, tmp_path: Path) -> None:
    url = sqlite_url(healthy)
    assert "missing.txt" in error_line(rectiflow(url, "import-plan", tmp_path / "missing.txt"))
    assert "is a directory" in error_line(rectiflow(url, "import-plan", tmp_path))
    assert "is a directory" in error_line(rectiflow(url, "report", "-o", tmp_path))
    into = tmp_path / "no-such-folder" / "report.md"
    assert error_line(rectiflow(url, "report", "-o", into)) == (
        f"Error: {into}: the folder {into.parent} does not exist")
    assert error_line(rectiflow(url, "export-ledger", "-o", into.with_suffix(".xlsx"))) == (
        f"Error: {into.with_suffix('.xlsx')}: the folder {into.parent} does not exist")
    assert not into.parent.exists()


def test_a_bug_is_one_line_and_its_traceback_goes_to_the_log(
    healthy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(connection: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr("web.cli.app_context.schema_state", broken)
    log = Path(os.environ["RECTIFLOW_INSTANCE_PATH"]) / "rectiflow-errors.log"

    result = rectiflow(sqlite_url(healthy), "ledger")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output == f"Error: internal error: KeyError: 'boom' (details in {log})\n"
    logged = log.read_text(encoding="utf-8")
    assert "ledger failed" in logged and "Traceback" in logged and "KeyError: 'boom'" in logged


def test_the_installed_command_prints_one_line_on_its_real_stderr(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    script = Path(sys.executable).with_name("rectiflow")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from web.cli import main; main()"]
    env = {**os.environ, "RECTIFLOW_DATABASE_URL": sqlite_url(database)}

    done = subprocess.run([*command, "ledger"], capture_output=True, text=True, env=env, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"Error: database not initialised: {sqlite_url(database)} has no schema yet; "
                           "run 'rectiflow init-db' first?\n")
    assert not database.exists()


def test_a_bad_wait_in_the_database_url_is_a_setting_error(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "x.db") + "?timeout=soon"
    assert error_line(rectiflow(url, "ledger")) == (
        "Error: DATABASE_URL: timeout must be a number of seconds >= 0, got 'soon'")
    assert not (tmp_path / "x.db").exists()


def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path: Path) -> None:
    impostor = tmp_path / "plan.db"
    shutil.copyfile(SEED, impostor)
    for args in (("ledger",), ("init-db",)):
        assert error_line(rectiflow(sqlite_url(impostor), *args)) == (
            f"Error: the file {impostor} is not a SQLite database, or is damaged (file is not a database)"), args
    assert impostor.read_bytes() == SEED.read_bytes()


def test_a_reader_that_goes_away_ends_the_command_quietly(healthy: Path) -> None:
    """``rectiflow ledger | head -1``: the rest of the output has nowhere to go; no error, no traceback."""
    script = Path(sys.executable).with_name("rectiflow")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from web.cli import main; main()"]
    env = {**os.environ, "RECTIFLOW_DATABASE_URL": sqlite_url(healthy)}
    assert ok(sqlite_url(healthy), "ledger").count("\n") > 10  # the command has lines to write into the pipe

    with subprocess.Popen([*command, "ledger"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as ledger:
        assert ledger.stdout is not None
        ledger.stdout.close()  # the reader is gone before the first line, as after ``head -0``
        _, errors = ledger.communicate(timeout=60)
    assert ledger.returncode == 141 and errors == b""

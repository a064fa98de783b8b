"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is created once per database per session; each test runs inside a
transaction whose savepoints roll back, so tests never see each other's rows.
Tests that must commit for real (races between sessions) use
``committing_sessions``, which empties the tables afterwards.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import security

import workflows.models  # noqa: F401  (registers the domain tables)
import workflows.people
from engine import FixedClock, WorkflowEngine
from engine.db import Base, make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent

# Passwords are hashed at production strength (werkzeug's scrypt, N=2**15: ~0.14 s a hash or a check here)
# by the code and by every `rectiflow` process the tests start; in this process the suite's thousands of
# people and sign-ins use a cheap scrypt instead (checks read the method from the hash). What production
# uses is checked in tests/workflows/test_password_strength.py.
PRODUCTION_PASSWORD_HASH = workflows.people.generate_password_hash
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"


def _test_password_hash(password: str) -> str:
    return security.generate_password_hash(password, method=TEST_PASSWORD_METHOD)


workflows.people.generate_password_hash = _test_password_hash  # type: ignore[assignment]
BPMN_DIR = ROOT / "bpmn"
# A byte-identical copy of shared/seeds/000_a37d3f0f89e25df3.txt, so the tests need nothing outside the repo.
SEED = ROOT / "tests" / "fixtures" / "plans" / "seed_haizhu_progress_report.txt"
PG_URL = os.environ.get("RECTIFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# In CI PostgreSQL is mandatory: unreachable means failure, not skip.
PG_REQUIRED = os.environ.get("RECTIFLOW_REQUIRE_PG") == "1"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@contextlib.contextmanager
def _postgres_engine(template: str | None = None) -> Iterator[Engine]:
    """A database of its own for this test session, so parallel runs never share tables.

    With ``template``, a copy of that database (whose other connections are ended first: PostgreSQL
    copies only a database nobody is connected to).
    """
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"rectiflow_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            if template is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": template})
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {PG_URL} is unreachable: {str(exc.orig).strip().splitlines()[0]}"
        if PG_REQUIRED:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database with the full schema, once per test session and kind."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            path = tmp_path_factory.mktemp("db") / "rectiflow-test.db"
            engine = make_engine(f"sqlite:///{path}")
            stack.callback(engine.dispose)
        else:
            engine = stack.enter_context(_postgres_engine())
        Base.metadata.create_all(engine)
        yield engine


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def committing_sessions(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Real, committing sessions (for races); every table is emptied afterwards."""
    factory = make_session_factory(db_engine)
    yield factory
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def clock() -> FixedClock:
    """The engine's clock; tests move it instead of sleeping."""
    return FixedClock(START)


@pytest.fixture
def wf_engine(clock: FixedClock) -> WorkflowEngine:
    """A fresh engine object on the test clock."""
    return WorkflowEngine(clock=clock)


@pytest.fixture
def db_kind(db_engine: Engine) -> str:
    """'sqlite' or 'postgresql'."""
    return db_engine.dialect.name


@contextlib.contextmanager
def new_database(kind: str, folder: Path, name: str = "empty.db") -> Iterator[Engine]:
    """A new database of ``kind`` ('sqlite': file ``name`` in ``folder``; 'postgresql': one of its own), no tables."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / name}")
        yield engine
        engine.dispose()
    else:
        with _postgres_engine() as engine:
            yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no tables at all (for migrations and first-run tests)."""
    with new_database(request.param, tmp_path) as engine:
        yield engine

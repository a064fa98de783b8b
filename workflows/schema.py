"""Bringing a database's schema up to date with Alembic, and telling where a database's schema stands.

Several processes may set up one database at the same moment (containers that each run
``rectiflow init-db`` on start): ``schema_lock`` lets one of them migrate and deploy while
the others wait, and then find the schema current and the diagrams deployed.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
# A table every revision has: a database with it but no revision was built from the models directly.
_SCHEMA_TABLE = "process_definition"
SCHEMA_LOCK_SECONDS = 120.0  # how long init-db waits for another one before it gives up
# The key of PostgreSQL's advisory lock: "RECTIFLW" in ASCII, a constant no other code uses.
# Advisory locks are per database, so databases sharing a server do not wait for each other.
PG_SCHEMA_LOCK_KEY = int.from_bytes(b"RECTIFLW", "big")
LOCK_FILE_SUFFIX = ".init-db.lock"
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against the migrations this code ships.

    ``current`` is the revision recorded in the database (None: none recorded), ``head`` the one
    this code needs; ``unversioned`` marks a database whose tables were built from the models
    directly (``Base.metadata.create_all``, as the tests do), taken to be current.
    """

    current: str | None
    head: str
    unversioned: bool = False

    @property
    def initialised(self) -> bool:
        """The database holds a schema (at some revision, or built from the models)."""
        return self.current is not None or self.unversioned

    @property
    def up_to_date(self) -> bool:
        """The schema is the one this code needs."""
        return self.unversioned or self.current == self.head

    @property
    def newer(self) -> bool:
        """The database is at a revision this code does not know: a newer Rectiflow migrated it."""
        return self.current is not None and not known_revision(self.current)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision of the migrations (the schema this code needs)."""
    head = _scripts().get_current_head()
    assert head is not None, "the migrations have one head"
    return head


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of the migrations this code ships."""
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_state(connection: Connection) -> SchemaState:
    """Where the database on ``connection`` stands: one or two cheap queries, nothing changed."""
    current = MigrationContext.configure(connection).get_current_revision()
    unversioned = current is None and inspect(connection).has_table(_SCHEMA_TABLE)
    return SchemaState(current=current, head=head_revision(), unversioned=unversioned)


def upgrade(db_engine: Engine, revision: str = "head") -> SchemaState:
    """Apply every migration up to ``revision`` on ``db_engine``'s database; returns where it stood before.

    Raises ``SchemaAheadError`` when the database is at a revision this code does not know.
    """
    config = _config()
    with db_engine.begin() as connection:
        before = schema_state(connection)
        if before.newer:
            raise SchemaAheadError(before)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before


class SchemaLockTimeout(Exception):
    """Another process held the database's schema lock for longer than this one would wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"another 'rectiflow init-db' has been setting up this database for over {seconds:g} "
                         "seconds; wait for it to finish (or stop it), then try again")


@contextlib.contextmanager
def schema_lock(db_engine: Engine, *, wait: float = SCHEMA_LOCK_SECONDS,
                on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold ``db_engine``'s database-wide setup lock for the block: one process at a time migrates and deploys.

    Waits up to ``wait`` seconds for another holder (``on_wait()`` is called once, when it starts
    waiting), then raises ``SchemaLockTimeout``. The lock ends with the block, or with the process.
    """
    backend = db_engine.url.get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(db_engine, wait, on_wait):
            yield
        return
    path = _sqlite_file(db_engine.url) if backend == "sqlite" else None
    if path is None:  # SQLite in memory belongs to one process: nobody to wait for
        yield
        return
    with _file_lock(path.with_name(path.name + LOCK_FILE_SUFFIX), wait, on_wait):
        yield


@contextlib.contextmanager
def _advisory_lock(db_engine: Engine, wait: float, on_wait: Callable[[], None] | None) -> Iterator[None]:
    # A session-level advisory lock on a connection of its own, outside any transaction, so that
    # Alembic's connection and the deploying session commit freely while it is held.
    connection = db_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        _poll(lambda: bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                             {"key": PG_SCHEMA_LOCK_KEY})), wait, on_wait)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_SCHEMA_LOCK_KEY})
            except Exception:
                # The pool must not hand on a connection that may still hold the lock: ending
                # the server session releases it.
                connection.invalidate()
                raise
    finally:
        connection.close()


@contextlib.contextmanager
def _file_lock(path: Path, wait: float, on_wait: Callable[[], None] | None) -> Iterator[None]:
    # SQLite: an flock on a file beside the database, not a lock in the database. BEGIN IMMEDIATE
    # on a connection of our own would hold SQLite's write lock, and Alembic's connection (and the
    # deploying session after it) would wait for it until the busy timeout: a deadlock with
    # ourselves. The file stays (removing it would let a waiter lock a file a newcomer no longer
    # sees); the kernel drops the lock when the process ends, however it ends.
    try:
        handle = path.open("a")
    except OSError:
        # No folder, or one we cannot write: SQLite cannot write the database there either (WAL
        # needs its files beside it), and the migration says so in its own words.
        yield
        return
    with handle:
        _poll(lambda: _try_flock(handle.fileno()), wait, on_wait)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _poll(acquire: Callable[[], bool], wait: float, on_wait: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + wait
    waiting = False
    while not acquire():
        if time.monotonic() >= deadline:
            raise SchemaLockTimeout(wait)
        if not waiting and on_wait is not None:
            on_wait()
        waiting = True
        time.sleep(_POLL_SECONDS)


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename: file:/path?mode=ro
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(database).expanduser().resolve()


class SchemaAheadError(Exception):
    """The database was migrated by a newer Rectiflow than this one; ``state`` says where it stands."""

    def __init__(self, state: SchemaState) -> None:
        super().__init__(f"the database schema is at revision {state.current}, newer than this version of "
                         f"Rectiflow knows (its newest is {state.head})")
        self.state = state


def deploy_bundled(session, engine, actor: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Deploy every diagram in ``bpmn/``; returns one line per process (new version or unchanged)."""
    lines = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for result in engine.deploy_path(session, path, actor=actor):
            d = result.definition
            state = "deployed" if result.created else "unchanged"
            lines.append(f"{d.process_key} v{d.version} ({path.name}): {state}")
    return lines

"""Every failure a command can meet, as a one-line message and a non-zero exit (no traceback).

``failures()`` turns what a command raises into ``Error: <one line>``: domain, engine and
setting errors say what they are; database errors are classified by the driver's error
(SQLite's result code, PostgreSQL's SQLSTATE or a failed connection), not by their English;
file errors by ``errno``. Anything else is a bug: the user gets ``internal error: <type>:
<message> (details in <log file>)`` and the traceback goes to that log, never to the terminal.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import logging
import os
import re
import sqlite3
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click
import psycopg
from flask import current_app, has_app_context
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from engine import EngineError
from web.config import ConfigError
from web.services import EXTENSION_KEY
from workflows.errors import DomainError
from workflows.schema import SchemaAheadError, SchemaState

log = logging.getLogger("web.cli")
ERROR_LOG = "rectiflow-errors.log"
INIT_DB = "run 'rectiflow init-db'"
# click's own ways of ending a command (usage errors, --help, Ctrl-C): already what the user should see.
_CLICK_ENDINGS = (click.ClickException, click.exceptions.Exit, click.Abort)


def fail(message: str) -> NoReturn:
    """Stop the command with ``message`` (click prints ``Error: message`` and exits 1)."""
    raise click.ClickException(message)


@contextlib.contextmanager
def failures(url: URL | None = None) -> Iterator[None]:
    """Whatever the block raises becomes one line; ``url``: the database it uses (default: the app's)."""
    try:
        yield
    except _CLICK_ENDINGS:
        raise
    except BrokenPipeError:
        _reader_gone()
    except Exception as exc:
        if isinstance(exc, OSError):
            _collect_abandoned_files(exc)
        message = explain(exc, url or _app_database_url())
        raise click.ClickException(message if message is not None else internal_error(exc)) from None


def _reader_gone() -> NoReturn:
    """The reader of the output went away (``rectiflow ledger | head``): stop quietly, as Unix tools
    do (exit 141, 128 + SIGPIPE), and keep Python from complaining when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(141)


def explain(exc: Exception, url: URL | None) -> str | None:
    """The one line that tells the user what went wrong, or None for a bug."""
    if isinstance(exc, SchemaAheadError):
        return schema_problem(exc.state, url)
    if isinstance(exc, EngineError | DomainError | ConfigError | ValueError):
        return str(exc)
    if isinstance(exc, OSError):
        return file_problem(exc)
    if isinstance(exc, SQLAlchemyError):
        return database_problem(exc, url)
    return None


# -- the database ---------------------------------------------------------------------------------


def display_url(url: URL) -> str:
    """The database URL as the user would write it, without its password."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def not_initialised(url: URL | None) -> str:
    """The message for a database without Rectiflow's schema."""
    where = f"{display_url(url)} has no schema yet" if url is not None else "no schema yet"
    return f"database not initialised: {where}; {INIT_DB} first?"


def schema_problem(state: SchemaState, url: URL | None) -> str | None:
    """What is wrong with a database's schema for this code, or None when it is the one needed."""
    if not state.initialised:
        return not_initialised(url)
    if state.up_to_date:
        return None
    if state.newer:
        return (f"the database schema is at revision {state.current}, newer than this version of Rectiflow "
                f"knows (its newest is {state.head}): upgrade Rectiflow")
    return f"the database schema is at revision {state.current}, this version needs {state.head}: {INIT_DB} to upgrade"


def sqlite_file(url: URL | None) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    if url is None or url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename: file:/path?mode=ro
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database) if database not in ("", ":memory:") else None


def database_problem(exc: SQLAlchemyError, url: URL | None) -> str:
    """A database error as one line, classified by the driver's error.

    An error met while cleaning up after another (SQLite rolls back a whole transaction on a
    full disk, and the savepoint's rollback then fails) is explained by the one before it.
    """
    generic: str | None = None
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        orig = cause.orig if isinstance(cause, DBAPIError) else cause
        message: str | None
        if isinstance(orig, sqlite3.Error):
            message = _sqlite_problem(orig, url)
        elif isinstance(orig, psycopg.Error):
            message = _postgres_problem(orig, url)
        else:
            message = f"database error: {_first_line(orig)}" if isinstance(cause, SQLAlchemyError) else None
        if message is not None and not message.startswith("database error: "):
            return message
        generic = generic or message
        cause = cause.__cause__ or cause.__context__
    return generic or f"database error: {_first_line(exc)}"


def _sqlite_problem(error: sqlite3.Error, url: URL | None) -> str:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    path = sqlite_file(url)
    file = str(path) if path is not None else "in memory"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"the database file {file} is locked by another process; try again"
    if code == sqlite3.SQLITE_READONLY:
        return f"the database file {file} is read-only" + _folder_note(path)
    if code == sqlite3.SQLITE_FULL:
        return f"disk full: the database file {file} cannot grow ({_first_line(error)})"
    if code == sqlite3.SQLITE_CANTOPEN:
        if path is not None and not path.parent.is_dir():
            return f"cannot open the database file {file}: the folder {path.parent} does not exist"
        if path is not None and path.exists() and not os.access(path.parent, os.W_OK):
            return f"the database file {file} is read-only" + _folder_note(path)
        return f"cannot open the database file {file}: {_first_line(error)}"
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return f"the file {file} is not a SQLite database, or is damaged ({_first_line(error)})"
    detail = _first_line(error)
    if detail.startswith("no such table"):
        return f"database error: {detail}; {INIT_DB} first?"
    return f"database error: {detail}"


def _folder_note(path: Path | None) -> str:
    if path is None or os.access(path.parent, os.W_OK):
        return ""
    return f" (its folder {path.parent} must be writable too: SQLite keeps its WAL files beside it)"


# SQLSTATEs with a message of their own (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_DISK_FULL, _PG_READ_ONLY, _PG_UNDEFINED_TABLE = "53100", "25006", "42P01"
_PG_LOCKED = ("55P03", "40P01")  # lock not available, deadlock detected
_PG_PREFIXES = re.compile(r'^(connection failed: )?(connection to server (at|on socket) "[^"]*"'
                          r'( \([^)]*\))?(, port \d+)? failed: )?(FATAL: +)?')


def _postgres_problem(error: psycopg.Error, url: URL | None) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if url is not None else "the configured server"
    state = error.sqlstate
    if state is None and isinstance(error, psycopg.OperationalError):  # libpq never got an answer
        reason = _PG_PREFIXES.sub("", _first_line(error))
        if reason[1:2].islower():
            reason = reason[0].lower() + reason[1:]
        return f"cannot reach PostgreSQL at {where}: {reason}"
    if state == _PG_DISK_FULL:
        return f"disk full: the PostgreSQL server at {where} has no space left ({_first_line(error)})"
    if state == _PG_READ_ONLY:
        return f"the PostgreSQL database at {where} is read-only ({_first_line(error)})"
    if state in _PG_LOCKED:
        return f"the database at {where} is locked by another session; try again ({_first_line(error)})"
    if state == _PG_UNDEFINED_TABLE:
        return f"database error: {_first_line(error)}; {INIT_DB} first?"
    return f"database error: {_first_line(error)}"


def _app_database_url() -> URL | None:
    if not has_app_context():
        return None
    found = current_app.extensions.get(EXTENSION_KEY)
    return found.db_engine.url if found is not None else None


# -- files ----------------------------------------------------------------------------------------


def file_problem(exc: OSError) -> str:
    """A file that cannot be read or written, as one line naming it."""
    name = exc.filename or _output_option()
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return f"disk full: cannot write {name}" if name else f"disk full: {reason}"
    if name is None:
        return reason
    if exc.errno == errno.EISDIR:
        return f"{name} is a folder, not a file"
    if exc.errno == errno.ENOENT and not Path(name).parent.is_dir():
        return f"{name}: the folder {Path(name).parent} does not exist"
    if exc.errno == errno.EROFS:
        return f"{name}: the file system is read-only"
    return f"{name}: {reason}"


def _collect_abandoned_files(exc: OSError) -> None:
    # A writer that failed mid-file (the zip inside an .xlsx or .docx) leaves its file to the garbage
    # collector, whose second failed flush Python would print as "Exception ignored ... Traceback".
    # Let go of the failed call's frames and collect now, with those echoes silenced.
    previous = sys.unraisablehook

    def quiet(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, OSError | ValueError):
            previous(unraisable)

    sys.unraisablehook = quiet
    try:
        traceback.clear_frames(exc.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = previous


def _output_option() -> str | None:
    # A full disk is found while writing, when the error no longer names the file: the command's -o does.
    ctx = click.get_current_context(silent=True)
    output = ctx.params.get("output") if ctx is not None else None
    return str(output) if output is not None else None


# -- bugs -----------------------------------------------------------------------------------------


def internal_error(exc: BaseException) -> str:
    """Log ``exc`` with its traceback to the error log; the one line that tells the user where."""
    where = _log_to_file(exc)
    details = f"details in {where}" if where is not None else "the details could not be logged"
    return f"internal error: {type(exc).__name__}: {_first_line(exc)} ({details})"


def _log_to_file(exc: BaseException) -> Path | None:
    folders = [current_app.instance_path] if has_app_context() else []
    folders += [os.environ.get("RECTIFLOW_INSTANCE_PATH") or "", tempfile.gettempdir()]
    for folder in filter(None, folders):
        path = Path(folder) / ERROR_LOG
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            continue
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        try:
            ctx = click.get_current_context(silent=True)
            log.error("%s failed", ctx.command_path if ctx else "a command", exc_info=exc)
        finally:
            log.removeHandler(handler)
            handler.close()
        return path
    return None


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__

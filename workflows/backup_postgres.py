"""PostgreSQL's own tools for backups: ``pg_dump --format=custom`` and ``pg_restore``.

The password never appears on a command line (where ``ps`` shows it to every user): it goes to
the tools in ``PGPASSWORD``. A tool that is missing, too old for the server or for the dump, or
that fails, is a ``BackupError`` with the tool's own first error line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection

from .backup_archive import BackupError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def libpq_uri(url: URL) -> tuple[str, dict[str, str]]:
    """The ``postgresql://`` URI the tools connect to (no password), and the environment holding the password."""
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def tool_version(tool: str) -> tuple[int, int]:
    """``(major, minor)`` of a client tool; ``BackupError`` if it is not installed."""
    output = _run([tool, "--version"], env=dict(os.environ), what=tool)
    found = _VERSION.search(output)
    if found is None:
        raise BackupError(f"{tool} --version said {output.strip()!r}: not a PostgreSQL tool?")
    return int(found.group(1)), int(found.group(2) or 0)


def server_version(connection: Connection) -> tuple[int, int]:
    """``(major, minor)`` of the server ``connection`` talks to."""
    number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return number // 10000, number % 10000


def dump(url: URL, snapshot: str, target: Path, server: tuple[int, int]) -> tuple[int, int]:
    """``pg_dump`` the database of ``url`` as the exported ``snapshot`` saw it into ``target``;
    returns pg_dump's version. The snapshot's transaction must stay open until this returns."""
    version = tool_version("pg_dump")
    if version[0] < server[0]:
        raise BackupError(f"pg_dump is version {version[0]}, older than the PostgreSQL {server[0]} server: "
                          f"install the PostgreSQL {server[0]} client tools")
    uri, env = libpq_uri(url)
    _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"],
         env=env, what="pg_dump")
    return version


def restore(url: URL, source: Path, dumped_by: tuple[int, int]) -> None:
    """``pg_restore`` ``source`` into the (empty) database of ``url`` in one transaction: all or nothing.

    Objects are owned by the restoring user (``--no-owner``): the target server need not know the
    roles of the one the backup came from."""
    version = tool_version("pg_restore")
    if version[0] < dumped_by[0]:
        raise BackupError(f"the backup was made by pg_dump {dumped_by[0]}, this pg_restore is version {version[0]}: "
                          f"install the PostgreSQL {dumped_by[0]} (or newer) client tools")
    uri, env = libpq_uri(url)
    _run(["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
          f"--dbname={uri}", str(source)], env=env, what="pg_restore")


def schema_functions(connection: Connection) -> set[str]:
    """The functions of the default schema (``name(argument types)``): a restore may add some (triggers')."""
    return set(connection.execute(text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema()")).scalars())


def drop_restored(connection: Connection, functions_before: set[str]) -> None:
    """Undo a restore found wrong: drop every table of the default schema (with its sequences and
    triggers) and the functions that were not there before it."""
    for name in inspect(connection).get_table_names():
        connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    for function in sorted(schema_functions(connection) - functions_before):
        connection.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    if shutil.which(command[0], path=env.get("PATH")) is None:
        raise BackupError(f"{what} not found: install the PostgreSQL client tools (e.g. apt install "
                          f"postgresql-client) or put {what} on PATH")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        detail = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no message")
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}")
    return result.stdout

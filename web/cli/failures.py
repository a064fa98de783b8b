"""Every failure a command can meet, as a one-line message and a non-zero exit (no traceback)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

import click
from sqlalchemy.exc import SQLAlchemyError

from engine import EngineError
from web.config import ConfigError
from workflows.errors import DomainError


def fail(message: str) -> NoReturn:
    """Stop the command with ``message`` (click prints ``Error: message`` and exits 1)."""
    raise click.ClickException(message)


@contextlib.contextmanager
def failures() -> Iterator[None]:
    """Domain, engine, setting, file and database errors become one line; anything else is a bug."""
    try:
        yield
    except (EngineError, DomainError, ConfigError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        missing = "no such table" in detail or "does not exist" in detail
        hint = " (run 'rectiflow init-db' first?)" if missing else ""
        fail(f"database error: {detail}{hint}")

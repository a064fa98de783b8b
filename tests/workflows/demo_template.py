"""``rectiflow demo`` loaded once per test session, database kind and day, then copied for each test.

Loading the demo (schema, diagrams, people, a launched plan) takes seconds; a copy takes a fraction
of one. Each test still gets a database of its own, as the demo command left it: SQLite copies
the file (``sqlite3`` backup), PostgreSQL creates it from the loaded one (``CREATE DATABASE …
TEMPLATE``). The demo's deadlines count from the day it was loaded (in China), so a copy is taken
only on that day: a session that runs past midnight loads the demo again.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

import web.cli
from engine.db import make_engine
from workflows.deadlines import china_date

from ..conftest import _postgres_engine
from .demo_cli import DemoCli, invoker


def url_of(db: Engine) -> str:
    return db.url.render_as_string(hide_password=False)


class DemoTemplates:
    """The demo loaded once per kind and day; ``copy`` hands a test a database of its own."""

    def __init__(self, folder: Path, stack: contextlib.ExitStack) -> None:
        self.folder = folder
        self.stack = stack
        self.loaded: dict[tuple[str, date], Engine] = {}

    def _load(self, kind: str) -> Engine:
        day = china_date(datetime.now(UTC))
        if (kind, day) not in self.loaded:
            if kind == "sqlite":
                template = make_engine(f"sqlite:///{self.folder / f'demo-{day}.db'}")
            else:  # dropped at the end of the session
                template = self.stack.enter_context(_postgres_engine())
            result = CliRunner().invoke(web.cli.main, ["demo"], env={"RECTIFLOW_DATABASE_URL": url_of(template)},
                                        catch_exceptions=False)
            assert result.exit_code == 0 and "demo loaded" in result.output, result.output
            template.dispose()  # PostgreSQL copies only a database nobody is connected to
            self.loaded[kind, day] = template
        return self.loaded[kind, day]

    @contextlib.contextmanager
    def copy(self, kind: str, folder: Path) -> Iterator[Engine]:
        """A fresh copy of the loaded demo, dropped (PostgreSQL) or left in ``folder`` (SQLite) afterwards."""
        template = self._load(kind)
        if kind == "sqlite":
            path = folder / "demo.db"
            with contextlib.closing(sqlite3.connect(template.url.database or "")) as source, \
                    contextlib.closing(sqlite3.connect(path)) as target:
                source.backup(target)
            engine = make_engine(f"sqlite:///{path}")
            yield engine
            engine.dispose()
            return
        with _postgres_engine(template=template.url.database) as engine:
            yield engine


@pytest.fixture(name="demo")
def demo_copy_fixture(demo_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoCli:
    """``demo_cli.demo_fixture``'s ``DemoCli`` on a copy of the loaded demo; evidence kept under ``tmp_path``."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", url_of(demo_database))
    evidence_dir = tmp_path / "evidence"
    monkeypatch.setenv("RECTIFLOW_EVIDENCE_DIR", str(evidence_dir))
    files = tmp_path / "files"
    files.mkdir()
    return DemoCli(demo_database, evidence_dir, files, invoker())

"""The demo loaded once per test session (``demo_template.py``): each test that asks for ``demo_database``
gets a copy of its own, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from .demo_template import DemoTemplates


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplates]:
    with contextlib.ExitStack() as stack:  # PostgreSQL templates are dropped when the session ends
        yield DemoTemplates(tmp_path_factory.mktemp("demo-template"), stack)


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_database(request: pytest.FixtureRequest, demo_templates: DemoTemplates, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own with ``rectiflow demo`` loaded."""
    with demo_templates.copy(request.param, tmp_path) as engine:
        yield engine

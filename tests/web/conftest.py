"""Web fixtures: an app on the shared test database, a client, and an ``auth`` helper.

The app commits for real (one commit per request), so these fixtures build on
``committing_sessions``, which empties every table after the test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from web.app import create_app
from web.config import DEFAULTS, ENV_PREFIX
from workflows.models import Role
from workflows.people import create_person, create_unit, unit_by_code

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_rectiflow_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A developer's own RECTIFLOW_* settings and instance/rectiflow.cfg must not leak into the tests."""
    for key in DEFAULTS:
        monkeypatch.delenv(ENV_PREFIX + key, raising=False)
    monkeypatch.setenv("RECTIFLOW_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))


def make_test_app(db_engine: Engine, **config: object) -> Flask:
    """An app on ``db_engine`` with test settings; ``config`` overrides them."""
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "DB_ENGINE": db_engine,
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    """The app with CSRF off, on the shared database (emptied after the test)."""
    return make_test_app(db_engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class AuthActions:
    """Create people in committed transactions and sign them in through the login form."""

    client: FlaskClient
    sessions: sessionmaker[Session]

    def create(
        self,
        login: str = "zhangsan",
        name: str = "张三",
        roles: tuple[Role | str, ...] = (Role.OFFICER,),
        unit: tuple[str, str] | None = ("U01", "市财政局"),
        password: str = PASSWORD,
    ) -> int:
        """Add a person (and their unit, by code and name); returns the person's id."""
        with self.sessions.begin() as session:
            unit_row = None
            if unit is not None:
                unit_row = unit_by_code(session, unit[0]) or create_unit(session, *unit)
            person = create_person(
                session, login=login, name=name, password=password, roles=roles, unit=unit_row
            )
            return person.id

    def login(self, login: str = "zhangsan", password: str = PASSWORD, **query: str) -> TestResponse:
        return self.client.post("/login", query_string=query, data={"login": login, "password": password})

    def logout(self) -> TestResponse:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient, committing_sessions: sessionmaker[Session]) -> AuthActions:
    return AuthActions(client, committing_sessions)

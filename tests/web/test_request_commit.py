"""The request commits inside dispatch: a race lost at commit is a 409, and notices wait for the commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance
from engine.side_effects import side_effects
from web.db_session import after_commit, get_session
from workflows.errors import ValidationError
from workflows.people import create_unit, unit_by_code

from .conftest import make_test_app

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
STALE = "someone else changed this process at the same time; reload and try again"
BUSY = "the process is busy with another change; try again"
JSON = {"Accept": "application/json"}


def _stored(sessions: sessionmaker[Session], code: str) -> bool:
    with sessions() as session:
        return unit_by_code(session, code) is not None


# -- a race lost at commit ---------------------------------------------------


@pytest.fixture
def instance_id(committing_sessions: sessionmaker[Session]) -> int:
    """A running process instance, committed, that two sessions can race for."""
    with committing_sessions.begin() as session:
        definition = ProcessDefinition(
            process_key="race", version=1, content_hash="0" * 64, source_name="race.bpmn",
            bpmn_xml="<definitions/>", specs={}, deployed_at=NOW,
        )
        instance = ProcessInstance(
            definition=definition, business_key="before", status=InstanceStatus.RUNNING,
            state="{}", data={}, created_at=NOW, updated_at=NOW,
        )
        session.add(instance)
        session.flush()
        return instance.id


@pytest.fixture
def race_app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> tuple[Flask, list[str]]:
    """/public/race/<id>: the request reads an instance, a rival saves it first, the request changes it.

    The request's change is flushed only by its commit, so the race is lost at commit time.
    Returns the app and the notices sent after commits.
    """
    app = make_test_app(db_engine, TESTING=False)
    sent: list[str] = []

    @app.post("/public/race/<int:pk>")
    def change_instance(pk: int) -> str:
        mine = get_session().get(ProcessInstance, pk)
        assert mine is not None
        with committing_sessions.begin() as rival:
            theirs = rival.get(ProcessInstance, pk)
            assert theirs is not None
            theirs.business_key = "rival"
        mine.business_key = "mine"
        after_commit(lambda: sent.append("mine saved"))
        return "saved"

    return app, sent


def test_a_version_race_lost_at_commit_is_a_409_with_a_plain_message(
    race_app: tuple[Flask, list[str]], instance_id: int, committing_sessions: sessionmaker[Session], db_kind: str
) -> None:
    app, sent = race_app
    response = app.test_client().post(f"/public/race/{instance_id}", headers=JSON)

    assert response.status_code == 409
    # PostgreSQL finds the stale version token; SQLite refuses to write from a stale snapshot.
    assert response.json == {"error": "conflict", "message": STALE if db_kind == "postgresql" else BUSY}
    with committing_sessions() as session:
        kept = session.get(ProcessInstance, instance_id)
        assert kept is not None and kept.business_key == "rival"  # the winner's change stands
    assert sent == []  # nobody is told of a change that was not saved


def test_a_race_lost_at_commit_shows_the_conflict_page_to_browsers(
    race_app: tuple[Flask, list[str]], instance_id: int
) -> None:
    app, _sent = race_app
    response = app.test_client().post(f"/public/race/{instance_id}", headers={"Accept": "text/html"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert STALE in page or BUSY in page
    assert "Traceback" not in page and "[SQL:" not in page and "saved" not in page


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (StaleDataError("UPDATE statement on table 'process_instance' expected to update 1 row(s)"), STALE),
        (OperationalError("COMMIT", {}, Exception("database is locked")), BUSY),
        (OperationalError("COMMIT", {}, Exception("could not serialize access due to concurrent update")), BUSY),
    ],
    ids=["stale-version", "sqlite-locked", "pg-serialization"],
)
def test_every_lost_race_at_commit_is_a_409(
    db_engine: Engine, committing_sessions: sessionmaker[Session], error: Exception, message: str
) -> None:
    app = make_test_app(db_engine, TESTING=False)
    sent: list[str] = []

    @app.post("/public/unit/<code>")
    def add_unit(code: str) -> str:
        session = get_session()
        create_unit(session, code, f"单位 {code}")

        def lose_the_race() -> None:
            raise error

        session.commit = lose_the_race  # type: ignore[method-assign]
        after_commit(lambda: sent.append(code))
        return "added"

    response = app.test_client().post("/public/unit/RACE", headers=JSON)
    assert response.status_code == 409
    assert response.json == {"error": "conflict", "message": message}
    assert not _stored(committing_sessions, "RACE")
    assert sent == []


# -- side effects wait for the commit -----------------------------------------


@pytest.fixture
def effects_app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> tuple[Flask, list[str]]:
    """/public/effects/<code>/<outcome> adds a unit, queues notices, then ends as ``outcome`` says.

    Each notice records whether the unit was already committed when it ran.
    """
    app = make_test_app(db_engine, TESTING=False)
    sent: list[str] = []

    def notice(name: str, code: str) -> None:
        sent.append(f"{name}:{'committed' if _stored(committing_sessions, code) else 'not committed'}")

    def broken_mail() -> None:
        raise ConnectionRefusedError("mail server down")

    @app.post("/public/effects/<code>/<outcome>")
    def add_unit(code: str, outcome: str) -> object:
        session = get_session()
        create_unit(session, code, f"单位 {code}")
        after_commit(lambda: notice("first", code))
        if outcome == "failing-effect":
            after_commit(broken_mail)
        # A service without Flask queues on the session it was handed: the same queue.
        side_effects(session).add(lambda: notice("service", code))
        if outcome == "error-status":
            return "refused", 422
        if outcome == "invalid":
            raise ValidationError("单位信息不完整")
        if outcome == "bug":
            raise RuntimeError("a bug after the change")
        return "added"

    return app, sent


def test_side_effects_run_in_order_after_the_commit(
    effects_app: tuple[Flask, list[str]], committing_sessions: sessionmaker[Session]
) -> None:
    app, sent = effects_app
    response = app.test_client().post("/public/effects/OK/ok")
    assert response.status_code == 200
    assert sent == ["first:committed", "service:committed"]
    assert _stored(committing_sessions, "OK")


@pytest.mark.parametrize(("outcome", "status"), [("error-status", 422), ("invalid", 422), ("bug", 500)])
def test_side_effects_are_dropped_when_the_request_rolls_back(
    effects_app: tuple[Flask, list[str]], committing_sessions: sessionmaker[Session], outcome: str, status: int
) -> None:
    app, sent = effects_app
    response = app.test_client().post(f"/public/effects/NO/{outcome}")
    assert response.status_code == status
    assert sent == []
    assert not _stored(committing_sessions, "NO")


def test_a_failing_side_effect_does_not_change_the_response(
    effects_app: tuple[Flask, list[str]], committing_sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    app, sent = effects_app
    with caplog.at_level(logging.ERROR):
        response = app.test_client().post("/public/effects/MAIL/failing-effect")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "added"
    assert _stored(committing_sessions, "MAIL")
    assert sent == ["first:committed", "service:committed"]  # the effects after it still ran
    assert any("mail server down" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)

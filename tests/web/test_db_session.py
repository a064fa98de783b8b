"""One commit per request: a successful request keeps its work, a failed one leaves no trace."""

from __future__ import annotations

import pytest
from flask import Flask, redirect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from web.db_session import get_session
from workflows.errors import ValidationError
from workflows.models import Unit
from workflows.people import create_unit, unit_by_code, unit_by_name

from .conftest import make_test_app


@pytest.fixture
def unit_app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    """/public/unit/<code>/<outcome> adds a unit, then ends the way ``outcome`` says."""
    app = make_test_app(db_engine, TESTING=False)

    @app.post("/public/unit/<code>/<outcome>")
    def add_unit(code: str, outcome: str) -> object:
        create_unit(get_session(), code, f"单位 {code}")
        if outcome == "ok":
            return "added"
        if outcome == "redirect":
            return redirect("/health")
        if outcome == "invalid":
            raise ValidationError("单位信息不完整")
        if outcome == "error-status":
            return "refused", 422
        raise RuntimeError("a bug after the change")

    return app


def _stored(sessions: sessionmaker[Session], code: str) -> bool:
    with sessions() as session:
        return unit_by_code(session, code) is not None


@pytest.mark.parametrize(
    ("outcome", "status", "kept"),
    [
        ("ok", 200, True),
        ("redirect", 302, True),
        ("invalid", 422, False),  # refused input: nothing is committed
        ("error-status", 422, False),
        ("bug", 500, False),
    ],
)
def test_request_commits_only_when_it_succeeds(
    unit_app: Flask, committing_sessions: sessionmaker[Session], outcome: str, status: int, kept: bool
) -> None:
    response = unit_app.test_client().post(f"/public/unit/U-{outcome}/{outcome}")
    assert response.status_code == status
    assert _stored(committing_sessions, f"U-{outcome}") is kept


def test_failed_commit_is_an_error_response_not_a_silent_success(
    unit_app: Flask, committing_sessions: sessionmaker[Session]
) -> None:
    with committing_sessions.begin() as session:
        create_unit(session, "DUP", "已有单位")

    @unit_app.post("/public/duplicate")
    def duplicate() -> str:
        # Added without a flush, the duplicate code only fails when the request commits.
        get_session().add(Unit(code="DUP", name="重复单位"))
        return "looked fine"

    response = unit_app.test_client().post("/public/duplicate")
    assert response.status_code == 500
    assert "looked fine" not in response.get_data(as_text=True)
    assert not _stored_name(committing_sessions, "重复单位")


def _stored_name(sessions: sessionmaker[Session], name: str) -> bool:
    with sessions() as session:
        return unit_by_name(session, name) is not None

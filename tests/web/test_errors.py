"""Errors as users see them: the right status, a readable message, never a traceback."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine import ConflictError, DeployError, NotAllowed, NotFound, TaskStateError, WorkflowFailure
from web.errors import ERROR_CODES
from workflows.errors import NotFoundError, ValidationError

from .conftest import AuthActions, make_test_app

ERRORS = {
    "engine-not-found": (NotFound("任务 42 不存在"), 404),
    "domain-not-found": (NotFoundError("问题 7 不存在"), 404),
    "not-allowed": (NotAllowed("您不是该任务的候选人"), 403),
    "task-state": (TaskStateError("任务已被他人领取"), 409),  # the task moved on: a conflict
    "validation": (ValidationError("整改时限不能早于今天"), 422),
    "deploy": (DeployError("rectification.bpmn: 缺少开始事件"), 400),
    "conflict": (ConflictError("该流程已被他人修改，请刷新后重试"), 409),
    "workflow-failure": (WorkflowFailure("脚本任务“计算时限”出错"), 500),
    # Database errors that mean a lost race are conflicts too (test_request_commit raises them at commit).
    "stale-at-commit": (StaleDataError("UPDATE statement on table 'process_instance' expected 1 row"), 409),
    "locked-at-commit": (OperationalError("COMMIT", {}, Exception("database is locked")), 409),
}
# What users read for database errors: the conflict, never the SQL.
SHOWN = {
    "stale-at-commit": "someone else changed this process at the same time; reload and try again",
    "locked-at-commit": "the process is busy with another change; try again",
}


def shown(name: str) -> str:
    return SHOWN.get(name, str(ERRORS[name][0]))


def _raising_app(db_engine: Engine, **config: object) -> Flask:
    """An app whose /public/raise/<name> and /api/raise/<name> raise one of ``ERRORS``."""
    app = make_test_app(db_engine, **config)

    def raise_error(name: str) -> str:
        if name == "bug":
            raise RuntimeError("secret internals: password=hunter2")
        raise ERRORS[name][0]

    app.add_url_rule("/public/raise/<name>", "raise_page", raise_error)
    app.add_url_rule("/api/raise/<name>", "raise_api", raise_error)
    return app


@pytest.fixture
def raising_app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return _raising_app(db_engine)


@pytest.fixture
def api_client(raising_app: Flask, committing_sessions: sessionmaker[Session]) -> FlaskClient:
    """A signed-in client: /api/ paths need a person like every other page."""
    client = raising_app.test_client()
    actions = AuthActions(client, committing_sessions)
    actions.create()
    actions.login()
    return client


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_are_html_pages_for_browsers(raising_app: Flask, name: str) -> None:
    error, status = ERRORS[name]
    response = raising_app.test_client().get(f"/public/raise/{name}", headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert shown(name) in page
    assert "Traceback" not in page and "[SQL:" not in page


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_are_json_for_api_paths(api_client: FlaskClient, name: str) -> None:
    error, status = ERRORS[name]
    response = api_client.get(f"/api/raise/{name}")
    assert response.status_code == status
    assert response.json == {"error": ERROR_CODES[status], "message": shown(name)}


def test_json_clients_get_json_anywhere(raising_app: Flask) -> None:
    response = raising_app.test_client().get("/public/raise/conflict", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.json == {"error": "conflict", "message": "该流程已被他人修改，请刷新后重试"}


def test_workflow_failure_is_logged(raising_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        raising_app.test_client().get("/public/raise/workflow-failure")
    assert any("计算时限" in record.getMessage() for record in caplog.records)


def test_unexpected_error_shows_a_generic_page_not_a_traceback(
    db_engine: Engine, committing_sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    app = _raising_app(db_engine, TESTING=False)  # as in production: exceptions do not propagate
    client = app.test_client()
    actions = AuthActions(client, committing_sessions)
    actions.create()
    actions.login()
    with caplog.at_level(logging.ERROR):
        page_response = client.get("/public/raise/bug")
        api_response = client.get("/api/raise/bug")

    assert page_response.status_code == 500
    page = page_response.get_data(as_text=True)
    assert "系统出错" in page
    assert "hunter2" not in page and "Traceback" not in page
    assert api_response.status_code == 500
    assert api_response.json == {"error": "internal_error", "message": "系统出错，请稍后重试或联系管理员。"}
    assert any(record.exc_info for record in caplog.records)  # the details go to the log


def test_unknown_page_is_404_in_the_users_language(raising_app: Flask) -> None:
    client = raising_app.test_client()
    assert "页面或记录不存在" in client.get("/no/such/page").get_data(as_text=True)
    response = client.get("/no/such/page?lang=en")
    assert response.status_code == 404
    assert "This page or record does not exist." in response.get_data(as_text=True)


def test_too_large_request_is_413(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> None:
    app = make_test_app(db_engine, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"login": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)

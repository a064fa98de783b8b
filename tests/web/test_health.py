"""``/health``: what a monitoring probe sees."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine import WorkflowEngine
from web.app import create_app

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


def test_health_reports_database_and_deployed_processes(
    client: FlaskClient, committing_sessions: sessionmaker[Session], wf_engine: WorkflowEngine
) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "deployed_processes": 0}

    with committing_sessions.begin() as session:
        deployed = wf_engine.deploy_path(session, BPMN_DIR / "rectification.bpmn", actor="admin")

    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["deployed_processes"] == len(deployed) > 0


def test_health_needs_no_sign_in(client: FlaskClient) -> None:
    assert client.get("/health").status_code == 200


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "rectiflow.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{missing}"})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "error"}

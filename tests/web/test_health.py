"""``/health``: the liveness probe answers while the process runs, whatever the database does."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from web.app import create_app


def test_health_answers_ok_without_sign_in(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_health_stays_ok_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """Liveness must not fail with the database, or every worker would be restarted in a loop;
    ``/ready`` is the probe that says the database is down (tests/web/test_ready.py)."""
    missing = tmp_path / "no-such-folder" / "rectiflow.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{missing}"})
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/health").json == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json["failing"] == ["database"]

"""Settings: defaults, instance file, environment and test dict, and a clear stop on bad values."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import FixedClock
from web.app import create_app
from web.config import ConfigError, load_config
from web.services import services


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'rectiflow.db'}"
    assert config["SCHEDULER_ENABLED"] is False
    assert config["SCHEDULER_INTERVAL_SECONDS"] == 60
    assert config["MAX_CONTENT_LENGTH"] == 10 * 20 * 1024 * 1024 + 1024 * 1024  # ten 20 MB evidence files
    assert config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert config["LANGUAGES"] == ["zh_CN", "en"]
    assert config["UPLOAD_DIR"] == str(tmp_path.resolve() / "uploads")
    assert config["WTF_CSRF_ENABLED"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_instance_file_then_environment_then_test_dict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "rectiflow.cfg").write_text(
        'SCHEDULER_INTERVAL_SECONDS = 30\nSECRET_KEY = "from-file"\nLANGUAGES = ["zh_CN"]\n', encoding="utf-8"
    )
    assert load_config(instance_path=tmp_path)["SCHEDULER_INTERVAL_SECONDS"] == 30

    monkeypatch.setenv("RECTIFLOW_SCHEDULER_INTERVAL_SECONDS", "15")
    monkeypatch.setenv("RECTIFLOW_SCHEDULER_ENABLED", "true")
    config = load_config(instance_path=tmp_path)
    assert config["SCHEDULER_INTERVAL_SECONDS"] == 15
    assert config["SCHEDULER_ENABLED"] is True
    assert config["SECRET_KEY"] == "from-file"
    assert config["LANGUAGES"] == ["zh_CN"]

    assert (
        load_config({"SCHEDULER_INTERVAL_SECONDS": 5}, instance_path=tmp_path)["SCHEDULER_INTERVAL_SECONDS"]
        == 5
    )


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("FALSE", False), ("0", False), ("yes", True)])
def test_boolean_environment_values(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("RECTIFLOW_SCHEDULER_ENABLED", raw)
    assert load_config()["SCHEDULER_ENABLED"] is expected


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", "postgresql://rectiflow@db.example/rectiflow")
    assert load_config()["DATABASE_URL"] == "postgresql://rectiflow@db.example/rectiflow"


def test_non_integer_interval_stops_create_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_SCHEDULER_INTERVAL_SECONDS", "abc")
    with pytest.raises(ConfigError, match="RECTIFLOW_SCHEDULER_INTERVAL_SECONDS.*'abc'"):
        create_app({"SECRET_KEY": "x"})


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("RECTIFLOW_SCHEDULER_INTERVAL_SECONDS", "0", "SCHEDULER_INTERVAL_SECONDS must be at least 1"),
        ("RECTIFLOW_SCHEDULER_ENABLED", "maybe", "RECTIFLOW_SCHEDULER_ENABLED must be true or false"),
        ("RECTIFLOW_LANGUAGES", "zh_CN,fr", "unknown language fr"),
        ("RECTIFLOW_DATABASE_URL", "", "DATABASE_URL must not be empty"),
        ("RECTIFLOW_MAX_CONTENT_LENGTH", "20MB", "RECTIFLOW_MAX_CONTENT_LENGTH must be a whole number"),
    ],
)
def test_bad_environment_values_fail_fast(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message):
        create_app({"SECRET_KEY": "x"})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SCHEDULER_INTERVAL_SECONDS": "60"}, "SCHEDULER_INTERVAL_SECONDS must be a whole number"),
        ({"BABEL_DEFAULT_LOCALE": "fr"}, "BABEL_DEFAULT_LOCALE 'fr' is not one of LANGUAGES"),
        ({"LANGUAGES": []}, "LANGUAGES must list"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DB_POOL_SIZE": 0}, "DB_POOL_SIZE must be at least 1"),
    ],
)
def test_bad_values_from_code_fail_fast(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(overrides)


def test_broken_instance_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "rectiflow.cfg").write_text("SCHEDULER_INTERVAL_SECONDS = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rectiflow.cfg"):
        load_config(instance_path=tmp_path)


def test_missing_secret_key_gets_a_random_one_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    with caplog.at_level(logging.WARNING):
        first = create_app(settings)
    second = create_app(settings)
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert any("SECRET_KEY is not set" in record.getMessage() for record in caplog.records)


def test_services_use_the_given_clock_and_database(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    app = create_app(
        {"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "ENGINE_CLOCK": clock}
    )
    found = services(app)
    assert found.workflow_engine.clock is clock
    assert str(found.db_engine.url) == f"sqlite:///{tmp_path / 'b.db'}"
    assert "ENGINE_CLOCK" not in app.config


def test_the_postgresql_pool_keeps_db_pool_size_connections_and_as_many_again_for_a_burst() -> None:
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "DB_POOL_SIZE": 3,
                      "SECRET_KEY": "test", "SCHEDULER_ENABLED": False})
    pool = services(app).db_engine.pool
    assert (pool.size(), pool._max_overflow) == (3, 3)  # type: ignore[attr-defined]

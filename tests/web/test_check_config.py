"""``rectiflow check-config``: every unsafe or missing setting is a finding naming its variable; a good one passes."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import text

from engine.db import make_engine
from web.cli import main
from web.config import load_config
from web.config_check import Finding, check_settings
from workflows.schema import head_revision, upgrade

from ..conftest import _postgres_engine

GOOD_SECRET = secrets.token_hex(32)
PG_PASSWORD = "pg-Pa55word-not-to-print"


def settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A production-fit configuration on PostgreSQL, as ``load_config`` returns it, but for ``overrides``."""
    good = {"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "postgresql://rectiflow@db.internal/rectiflow",
            "SESSION_COOKIE_SECURE": True, "EVIDENCE_DIR": str(tmp_path / "evidence")}
    return load_config({**good, **overrides})


def found(config: dict[str, Any], workers: str | None = "4") -> list[tuple[str, str]]:
    environ = {} if workers is None else {"WEB_CONCURRENCY": workers}
    return [(f.severity, f.key) for f in check_settings(config, environ)]


def messages(config: dict[str, Any], workers: str = "4") -> list[Finding]:
    return check_settings(config, {"WEB_CONCURRENCY": workers})


def test_a_good_configuration_has_no_findings(tmp_path: Path) -> None:
    assert found(settings(tmp_path), workers="9") == []
    assert found(settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'one.db'}"), workers="1") == []


@pytest.mark.parametrize("secret", [None, "dev", "change-me", "secret", "test-secret-key", "browser-test-key",
                                    "Change-Me-please-to-something-longer-than-32", "x" * 40,
                                    "6a453c8beeac4a82", b"short"])
def test_a_missing_known_or_weak_secret_key_is_an_error(tmp_path: Path, secret: str | bytes | None) -> None:
    [finding] = messages(settings(tmp_path, SECRET_KEY=secret))

    assert (finding.severity, finding.key) == ("error", "SECRET_KEY")
    assert "RECTIFLOW_SECRET_KEY" in finding.message
    assert not secret or len(secret) < 8 or str(secret) not in finding.message
    assert found(settings(tmp_path, SECRET_KEY=secrets.token_bytes(32))) == []  # bytes from the instance file


def test_sqlite_with_several_web_workers_is_an_error_one_worker_is_not(tmp_path: Path) -> None:
    config = settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}")

    [finding] = messages(config, workers="3")
    assert (finding.severity, finding.key) == ("error", "DATABASE_URL")
    assert "WEB_CONCURRENCY=3" in finding.message and "PostgreSQL" in finding.message
    assert "WEB_CONCURRENCY=1" in finding.message
    assert found(config, workers=None) == [("error", "DATABASE_URL")]  # gunicorn's default: 2 x CPUs + 1
    assert found(config, workers="1") == []


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?uri=true"])
def test_sqlite_in_memory_is_an_error_even_with_one_worker(tmp_path: Path, url: str) -> None:
    [finding] = messages(settings(tmp_path, DATABASE_URL=url), workers="1")
    assert (finding.severity, finding.key) == ("error", "DATABASE_URL") and "in memory" in finding.message


def test_a_bad_web_concurrency_is_an_error_naming_it(tmp_path: Path) -> None:
    [finding] = messages(settings(tmp_path), workers="zero")
    assert (finding.severity, finding.key) == ("error", "WEB_CONCURRENCY") and "'zero'" in finding.message


def test_mail_in_the_clear_to_another_host_is_an_error(tmp_path: Path) -> None:
    mail = {"SMTP_SECURITY": "none", "MAIL_SENDER": "整改通 <zhenggai@example.gov.cn>"}

    [finding] = messages(settings(tmp_path, SMTP_HOST="mail.example.gov.cn", **mail))
    assert (finding.severity, finding.key) == ("error", "SMTP_SECURITY")
    assert "RECTIFLOW_SMTP_SECURITY=starttls" in finding.message
    for local in ("127.0.0.1", "localhost", "::1"):
        assert found(settings(tmp_path, SMTP_HOST=local, **mail)) == []
    assert found(settings(tmp_path, SMTP_HOST="mail.example.gov.cn", MAIL_SENDER=mail["MAIL_SENDER"])) == []


def test_a_cookie_sent_over_http_is_a_warning(tmp_path: Path) -> None:
    [finding] = messages(settings(tmp_path, SESSION_COOKIE_SECURE=False))
    assert (finding.severity, finding.key) == ("warning", "SESSION_COOKIE_SECURE")
    assert "RECTIFLOW_SESSION_COOKIE_SECURE=true" in finding.message and "HTTPS" in finding.message


def test_scheduler_enabled_under_several_workers_is_a_warning_to_run_it_apart(tmp_path: Path) -> None:
    [finding] = messages(settings(tmp_path, SCHEDULER_ENABLED=True), workers="4")
    assert (finding.severity, finding.key) == ("warning", "SCHEDULER_ENABLED")
    assert "rectiflow scheduler" in finding.message
    assert found(settings(tmp_path, SCHEDULER_ENABLED=True), workers="1") == []


def test_an_evidence_folder_that_cannot_be_written_or_created_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    assert found(settings(tmp_path, EVIDENCE_DIR=str(blocker))) == [("error", "EVIDENCE_DIR")]
    assert found(settings(tmp_path, EVIDENCE_DIR=str(blocker / "evidence"))) == [("error", "EVIDENCE_DIR")]
    assert found(settings(tmp_path, EVIDENCE_DIR=str(tmp_path / "new" / "deeper"))) == []
    assert not (tmp_path / "new").exists()  # judged, not created


@pytest.mark.parametrize(("host", "expected"), [
    ("cases.example.gov.cn", []),
    ("cases.example.gov.cn:8443", []),
    ("169.254.169.254", [("error", "HTTP_POST_HOSTS")]),
    ("metadata.google.internal", [("error", "HTTP_POST_HOSTS")]),
    ("localhost:8080", [("warning", "HTTP_POST_HOSTS")]),
    ("10.1.2.3", [("warning", "HTTP_POST_HOSTS")]),
    ("https://cases.example.gov.cn", [("warning", "HTTP_POST_HOSTS")]),
])
def test_http_post_hosts_that_reach_inside_are_findings(tmp_path: Path, host: str,
                                                        expected: list[tuple[str, str]]) -> None:
    config = settings(tmp_path, SERVICES=["notify", "http_post"], HTTP_POST_HOSTS=[host])
    assert found(config) == expected
    assert found(settings(tmp_path, HTTP_POST_HOSTS=[host])) == []  # inert while http_post is off


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (where ``./rectiflow.db`` would land), no WEB_CONCURRENCY of the developer's."""
    folder = tmp_path / "workdir"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    return folder


def good_env(url: str, tmp_path: Path, workers: str = "1") -> dict[str, str]:
    return {"RECTIFLOW_SECRET_KEY": GOOD_SECRET, "RECTIFLOW_DATABASE_URL": url,
            "RECTIFLOW_SESSION_COOKIE_SECURE": "true", "RECTIFLOW_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "WEB_CONCURRENCY": workers}


def check(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(main, ["check-config", *args], env=env)
    assert "Traceback" not in result.output and (result.exception is None or isinstance(result.exception,
                                                                                         SystemExit))
    return result


@pytest.fixture
def current_sqlite(tmp_path: Path) -> Iterator[str]:
    """A SQLite database at the schema this code needs."""
    url = f"sqlite:///{tmp_path / 'current.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def test_the_default_configuration_fails_with_one_line_per_finding(workdir: Path, tmp_path: Path) -> None:
    result = check({})
    lines = result.output.splitlines()

    assert result.exit_code == 1
    assert lines[0] == (f"error DATABASE_URL: database not initialised: sqlite:///{workdir / 'rectiflow.db'} has "
                        "no schema yet; run 'rectiflow init-db' first?")
    assert [line.split(":")[0] for line in lines[1:-1]] == [
        "error SECRET_KEY", "error DATABASE_URL", "warning SESSION_COOKIE_SECURE"]
    assert lines[-1].startswith("Error: not fit to run: 3 errors, 1 warning; first DATABASE_URL: database not")
    assert list(workdir.iterdir()) == []  # no database file, no evidence folder made


def test_a_good_configuration_on_sqlite_with_one_worker_passes(workdir: Path, tmp_path: Path,
                                                               current_sqlite: str) -> None:
    result = check(good_env(current_sqlite, tmp_path))
    assert (result.exit_code, result.output) == (0, "ok: 0 errors, 0 warnings\n")

    several = check(good_env(current_sqlite, tmp_path, workers="3"))
    assert several.exit_code == 1 and "error DATABASE_URL: a SQLite file with several web workers" in several.output


def test_a_good_configuration_on_postgresql_with_several_workers_passes(workdir: Path, tmp_path: Path) -> None:
    with _postgres_engine() as engine:
        upgrade(engine)
        url = engine.url.render_as_string(hide_password=False)
        result = check(good_env(url, tmp_path, workers="9"))
        warned = check({**good_env(url, tmp_path, workers="9"), "RECTIFLOW_SESSION_COOKIE_SECURE": "false"})

    assert (result.exit_code, result.output) == (0, "ok: 0 errors, 0 warnings\n")
    assert warned.exit_code == 0 and warned.output.splitlines()[-1] == "ok: 0 errors, 1 warning (see above)"


def older_revision() -> str:
    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    down = scripts.get_revision(head_revision()).down_revision
    assert isinstance(down, str)
    return down


def test_a_schema_behind_or_ahead_of_this_code_is_an_error_unless_offline(workdir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    old = older_revision()
    upgrade(engine, old)

    behind = check(good_env(url, tmp_path))
    offline = check(good_env(url, tmp_path), "--offline")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from-the-future'"))
    ahead = check(good_env(url, tmp_path))
    engine.dispose()

    assert behind.exit_code == 1
    assert behind.output.splitlines()[0] == (f"error DATABASE_URL: the database schema is at revision {old}, this "
                                             f"version needs {head_revision()}: run 'rectiflow init-db' to upgrade")
    assert (offline.exit_code, offline.output) == (0, "ok: 0 errors, 0 warnings\n")
    assert ahead.exit_code == 1 and "newer than this version of Rectiflow knows" in ahead.output


def test_an_unreachable_database_is_an_error_without_its_password(workdir: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = good_env(f"postgresql://rectiflow:{PG_PASSWORD}@127.0.0.1:{port}/rectiflow", tmp_path)

    result = check(env)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"error DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused")
    assert PG_PASSWORD not in result.output


def test_a_setting_the_app_refuses_is_a_finding_not_a_traceback(workdir: Path, tmp_path: Path) -> None:
    no_sender = check({"RECTIFLOW_SMTP_HOST": "mail.example.gov.cn"})
    not_a_bool = check({"RECTIFLOW_SESSION_COOKIE_SECURE": "perhaps"})

    assert no_sender.exit_code == 1
    assert no_sender.output.splitlines()[0] == (
        "error MAIL_SENDER: MAIL_SENDER must be an e-mail address when SMTP_HOST is set, got None "
        "(set by RECTIFLOW_MAIL_SENDER or in rectiflow.cfg)")
    assert not_a_bool.output.splitlines()[0].startswith(
        "error SESSION_COOKIE_SECURE: RECTIFLOW_SESSION_COOKIE_SECURE must be true or false")


def test_secrets_are_never_printed(workdir: Path, tmp_path: Path) -> None:
    weak, password = "hunter2-weak", "smtp-Pa55word-not-to-print"
    env = {**good_env(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, workers="5"), "RECTIFLOW_SECRET_KEY": weak,
           "RECTIFLOW_SMTP_HOST": "mail.example.gov.cn", "RECTIFLOW_SMTP_USERNAME": "zhenggai",
           "RECTIFLOW_SMTP_PASSWORD": password, "RECTIFLOW_MAIL_SENDER": "zhenggai@example.gov.cn"}

    for args in ((), ("--json",)):
        result = check(env, *args)
        assert result.exit_code == 1 and "SECRET_KEY" in result.output
        assert weak not in result.output and password not in result.output


def test_json_output_lists_the_findings(workdir: Path, tmp_path: Path, current_sqlite: str) -> None:
    result = check({**good_env(current_sqlite, tmp_path), "RECTIFLOW_SESSION_COOKIE_SECURE": "false"}, "--json")
    report = json.loads(result.output)

    assert result.exit_code == 0
    assert report["ok"] is True and (report["errors"], report["warnings"]) == (0, 1)
    assert [(f["severity"], f["key"]) for f in report["findings"]] == [("warning", "SESSION_COOKIE_SECURE")]


def test_the_console_script_exits_1_on_errors_and_0_on_warnings(workdir: Path, tmp_path: Path,
                                                                current_sqlite: str) -> None:
    rectiflow = Path(sys.executable).with_name("rectiflow")
    base = {"PATH": "/usr/bin:/bin", "RECTIFLOW_INSTANCE_PATH": str(tmp_path / "instance")}
    bad = subprocess.run([str(rectiflow), "check-config", "--offline"], env=base, cwd=workdir,
                         capture_output=True, text=True, timeout=60)
    fine = subprocess.run([str(rectiflow), "check-config"], cwd=workdir, capture_output=True, text=True, timeout=60,
                          env={**base, **good_env(current_sqlite, tmp_path),
                               "RECTIFLOW_SESSION_COOKIE_SECURE": "false"})

    assert bad.returncode == 1 and bad.stderr.startswith("Error: not fit to run: 2 errors, 1 warning; first ")
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert fine.stdout.splitlines()[-1] == "ok: 0 errors, 1 warning (see above)"

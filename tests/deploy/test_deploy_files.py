"""The deployment files read closely, since this machine cannot build the image or run systemd: the Dockerfile's
stages, user, secrets and build context; the compose file's services; the systemd units; the settings example;
gunicorn's configuration and the entrypoint's pass-through."""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from gunicorn.config import Config

from web.config import DEFAULTS, load_config
from web.config_check import check_settings

from ..conftest import ROOT
from .definitions import DEPLOY, MissingVariable, compose, dockerfile, image_environment, interpolate, only, service

SYSTEMD = DEPLOY / "systemd"
UNITS = sorted(SYSTEMD.glob("*.service"))
VARIABLES = {"POSTGRES_PASSWORD": "pw", "RECTIFLOW_SECRET_KEY": "k" * 40}
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|DATABASE_URL", re.IGNORECASE)


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` (relative, with /) out of the build context; the last match decides."""
    verdict = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [pattern, pattern.removeprefix("**/")] if pattern.startswith("**/") else [pattern]
        parts = path.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        tails = ["/".join(parts[n:]) for n in range(len(parts))]
        if any(fnmatch.fnmatchcase(p, c) for c in candidates for p in prefixes) or (
                pattern.startswith("**/") and any(fnmatch.fnmatchcase(t.split("/")[0], candidates[1]) for t in tails)):
            verdict = not negated
    return verdict


def test_the_image_is_built_in_three_stages_and_runs_as_a_user_without_secrets() -> None:
    [preamble, assets, build, final] = dockerfile()
    assert [i.keyword for i in preamble] == ["ARG", "ARG"]
    assert assets[0].arguments.endswith("AS assets") and any("npm ci" in i.arguments for i in assets)
    assert build[0].arguments.endswith("AS build")
    assert final[0].arguments == "${PYTHON_IMAGE}"  # the runtime is the slim Python image, without node or pip cache
    user = only(final, "USER").arguments
    assert user.split(":")[0] not in ("root", "0") and "useradd --system --uid 10001" in " ".join(
        i.arguments for i in final if i.keyword == "RUN")
    for stage in (assets, build, final):
        for instruction in stage:
            if instruction.keyword in ("ENV", "ARG"):
                assert not SECRET_NAMES.search(instruction.arguments), instruction
    assert "RECTIFLOW_INSTANCE_PATH" in image_environment(final)
    assert "/var/lib/rectiflow/evidence" in only(final, "VOLUME").arguments
    assert "/health" in only(final, "HEALTHCHECK").exec_form()[-1]
    entrypoint = only(final, "ENTRYPOINT").exec_form()
    assert entrypoint == ["/app/deploy/entrypoint.sh"] and os.access(DEPLOY / "entrypoint.sh", os.X_OK)
    assert only(final, "CMD").exec_form() == service(compose(VARIABLES), "web").command


def test_every_file_the_image_copies_is_in_the_build_context() -> None:
    copied = []
    for stage in dockerfile():
        for instruction in stage:
            if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
                *sources, _ = shlex.split(instruction.arguments)
                copied += sources
    needed = {"pyproject.toml", "migrations", "bpmn", "engine", "workflows", "web", "web/assets/package-lock.json"}
    assert needed <= set(copied)
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not ignored(source), f"{source} is copied but .dockerignore leaves it out"
    for local in (".venv", ".git", "web/assets/node_modules", "instance", "rectiflow.db", "web/__pycache__",
                  "deploy/rectiflow.env", "tests"):
        assert ignored(local), f"{local} would be sent to the build"


def test_the_python_run_in_the_image_build_compiles() -> None:
    snippets = [words[words.index("-c") + 1] for stage in dockerfile() for i in stage if i.keyword == "RUN"
                for words in [shlex.split(i.arguments)] if "-c" in words and words[words.index("-c") - 1] == "python"]
    assert len(snippets) == 2  # the dependency list, the browser library files
    for code in snippets:
        compile(code, "Dockerfile RUN", "exec")
    assert "from web.vendor import FILES, NODE_MODULES" in snippets[1]  # names web/vendor.py defines
    from web.vendor import FILES, NODE_MODULES
    assert FILES and NODE_MODULES == ROOT / "web" / "assets" / "node_modules"


def test_the_images_dependency_list_is_pyprojects() -> None:
    [run] = [i for stage in dockerfile() for i in stage if i.keyword == "RUN" and "tomllib" in i.arguments]
    words = shlex.split(run.arguments)
    code = words[words.index("-c") + 1]
    listed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    with (ROOT / "pyproject.toml").open("rb") as file:
        assert listed.stdout.split("\n")[:-1] == tomllib.load(file)["project"]["dependencies"]


def test_compose_defines_the_database_the_web_and_two_schedulers() -> None:
    document = compose(VARIABLES)
    db, web, scheduler = (document["services"][name] for name in ("db", "web", "scheduler"))
    assert db["image"] == "postgres:15" and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    for spec in (web, scheduler):
        assert spec["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert spec["depends_on"]["db"]["condition"] == "service_healthy"
        assert spec["init"] is True
    assert web["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"] and web["command"][3] == "web.wsgi:app"
    assert "app = create_app()" in (ROOT / "web" / "wsgi.py").read_text()
    assert service(document, "web").environment["RECTIFLOW_SCHEDULER_ENABLED"] == "false"
    assert "/ready" in web["healthcheck"]["test"][-1]
    assert any(volume.endswith(":/var/lib/rectiflow/evidence") for volume in web["volumes"])
    assert service(document, "scheduler").replicas == 2 and scheduler["command"] == ["rectiflow", "scheduler"]
    assert scheduler["healthcheck"] == {"disable": True} and "ports" not in scheduler


@pytest.mark.parametrize("missing", ["POSTGRES_PASSWORD", "RECTIFLOW_SECRET_KEY"])
def test_compose_will_not_start_without_the_password_or_the_secret_key(missing: str) -> None:
    with pytest.raises(MissingVariable, match=missing):
        compose({key: value for key, value in VARIABLES.items() if key != missing})


def test_compose_interpolation_follows_composes_rules() -> None:
    assert interpolate("${A:-x}/${A-y}/$$A/${B}", {"A": ""}) == "x//$A/"
    assert interpolate("$A-${A:?no}", {"A": "1"}) == "1-1"


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_each_systemd_unit_runs_an_existing_command_hardened_as_a_user(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(unit)
    section = parser["Service"]
    assert section["User"] == section["Group"] == "rectiflow"
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("ReadWritePaths", "/var/lib/rectiflow")):
        assert section.get(key) == value, (unit.name, key)
    starts = [line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    from web.cli import main
    for start in starts:
        program, *arguments = shlex.split(start)
        local = Path(program.replace("/opt/rectiflow", str(ROOT)))
        assert local.is_file() and os.access(local, os.X_OK), start
        if local.name == "rectiflow":
            assert arguments[0] in main.commands, start
        else:
            assert local.name == "gunicorn" and arguments[-1] == "web.wsgi:app", start
            assert Path(arguments[arguments.index("-c") + 1].replace("/opt/rectiflow", str(ROOT))).is_file()


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in UNITS:  # the checkout's place on a server is this repository here, so every command exists
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/rectiflow", str(ROOT)))
    checked = subprocess.run([analyze, "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), checked


def test_the_settings_example_names_real_keys_and_is_refused_until_edited(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = dict(line.split("=", 1) for line in (DEPLOY / "rectiflow.env.example").read_text().splitlines()
                 if line and not line.startswith("#"))
    for key in pairs:
        assert key.removeprefix("RECTIFLOW_") in DEFAULTS, key
    for key in [k for k in os.environ if k.startswith("RECTIFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in pairs.items():
        monkeypatch.setenv(key, value)
    findings = check_settings(load_config(), {"WEB_CONCURRENCY": "4"})
    assert [f.key for f in findings if f.severity == "error"] == ["SECRET_KEY"]


def test_gunicorn_reads_its_workers_and_address_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9123")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    config = Config()
    settings: dict[str, object] = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
    for name in ("bind", "workers", "threads", "worker_class", "worker_tmp_dir", "timeout", "accesslog",
                 "control_socket_disable", "on_starting", "child_exit"):
        config.set(name, settings[name])
    assert config.workers == 3 and config.bind == ["127.0.0.1:9123"] and config.accesslog == "-"
    assert config.worker_class_str == "gthread" and config.threads == 4
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "metrics" / "keep.txt").write_text("not prometheus'")
    config.on_starting(None)
    assert [p.name for p in (tmp_path / "metrics").iterdir()] == ["keep.txt"]
    config.child_exit(None, type("Worker", (), {"pid": 123})())  # web.metrics' hook, without error


def test_the_entrypoint_runs_any_other_command_as_given() -> None:
    ran = subprocess.run([str(DEPLOY / "entrypoint.sh"), "echo", "整改通"], capture_output=True, text=True,
                         timeout=30, check=True)
    assert ran.stdout == "整改通\n"


def test_gunicorn_logs_json_with_the_request_id_when_the_app_does(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import logging

    from gunicorn.glogging import Logger

    def gunicorn_logger(log_format: str | None, stream: io.StringIO) -> Logger:
        if log_format is None:
            monkeypatch.delenv("RECTIFLOW_LOG_FORMAT", raising=False)
        else:
            monkeypatch.setenv("RECTIFLOW_LOG_FORMAT", log_format)
        settings: dict[str, object] = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
        exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
        config = Config()
        for name in ("accesslog", "errorlog", "access_log_format", "logconfig_dict"):
            if name in settings:
                config.set(name, settings[name])
        monkeypatch.setattr(sys, "stdout", stream)
        monkeypatch.setattr(sys, "stderr", stream)
        return Logger(config)

    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    try:
        stream = io.StringIO()
        logger = gunicorn_logger("json", stream)
        request = type("Request", (), {"method": "GET", "path": "/ready", "query": "", "uri": "/ready",
                                       "version": (1, 1), "headers": [], "scheme": "http"})()
        response = type("Response", (), {"status": "200 OK", "status_code": 200, "sent": 15,
                                         "headers": [("X-Request-ID", "abc123")]})()
        environ = {"REMOTE_ADDR": "10.0.0.9", "REQUEST_METHOD": "GET", "RAW_URI": "/ready",
                   "SERVER_PROTOCOL": "HTTP/1.1"}
        from datetime import timedelta
        logger.access(response, request, environ, timedelta(milliseconds=12))
        logger.error("worker %s died", 4711)
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [line["logger"] for line in lines] == ["gunicorn.access", "gunicorn.error"]
        assert '"GET /ready HTTP/1.1" 200' in lines[0]["message"] and lines[0]["message"].endswith("abc123")
        assert lines[0]["request_id"] == "abc123" and "request_id" not in lines[1]
        assert lines[1]["message"] == "worker 4711 died" and lines[1]["level"] == "ERROR"

        stream = io.StringIO()
        logger = gunicorn_logger(None, stream)  # text: gunicorn's own lines, still with the request id
        logger.access(response, request, environ, timedelta(milliseconds=12))
        assert not stream.getvalue().startswith("{") and stream.getvalue().rstrip().endswith("abc123")
    finally:  # gunicorn's dictConfig replaced the root logger's handlers (the test runner's capture among them)
        root.handlers[:] = root_handlers
        root.setLevel(root_level)

"""``check-config``: whether this deployment's settings and database are fit to run for real.

Run it before starting the web workers (the container does): it reads the settings as the app
would (web/config.py: defaults, ``instance/rectiflow.cfg``, ``RECTIFLOW_*``), judges them
(web/config_check.py) and, unless ``--offline``, whether the database can be reached and holds
the schema this code needs. One line per finding, then a summary; exit status 1 on any error.
A setting the app would refuse to start with is a finding too, never a traceback. Nothing is
created or changed: not the database file, not the evidence folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from engine.db import make_engine
from web.config import ConfigError, load_config
from web.config_check import Finding, check_settings, config_error_finding, error, redact
from workflows.schema import schema_state

from .failures import database_problem, fail, failures, not_initialised, schema_problem, sqlite_file

# Where the values of secret settings come from, to keep them out of every line printed.
SECRET_KEYS = ("SECRET_KEY", "SMTP_PASSWORD")


@click.command("check-config")
@click.option("--offline", is_flag=True, help="check the settings only; do not connect to the database")
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON (same exit status)")
def check_config(offline: bool, as_json: bool) -> None:
    """Check the settings (and the database) for running in production: exit status 1 on any error."""
    with failures():
        findings, secrets = gather(offline=offline)
    findings = sorted(findings, key=lambda f: f.severity != "error")  # errors first, each group in check order
    lines = [(f, redact(f.message, secrets)) for f in findings]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    counts = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    if as_json:
        click.echo(json.dumps({"ok": not errors, "errors": errors, "warnings": warnings,
                               "findings": [{"severity": f.severity, "key": f.key, "message": message}
                                            for f, message in lines]}, ensure_ascii=False, indent=2))
        if errors:
            raise click.exceptions.Exit(1)
        return
    for finding, message in lines:
        click.echo(f"{finding.severity} {finding.key}: {message}")
    if errors:
        # The first error on the last line: the one that stops everything else (a setting the app
        # refuses, an unreachable or uninitialised database) when there is one.
        first, message = next((f, m) for f, m in lines if f.severity == "error")
        fail(f"not fit to run: {counts}; first {first.key}: {message}")
    click.echo(f"ok: {counts}" + (" (see above)" if warnings else ""))


def gather(*, offline: bool) -> tuple[list[Finding], list[Any]]:
    """Every finding (the database's first), and the secret values the settings hold."""
    try:
        config = load_config(instance_path=_instance_path())
    except ConfigError as exc:
        # The rest cannot be judged without the settings; the secrets are those of the environment.
        return [config_error_finding(exc)], [os.environ.get("RECTIFLOW_" + key) for key in SECRET_KEYS]
    secrets = [config.get(key) for key in SECRET_KEYS]
    database = [] if offline else database_findings(str(config["DATABASE_URL"]))
    return database + check_settings(config, os.environ), secrets


def database_findings(url: str) -> list[Finding]:
    """The database can be reached and holds the schema this code needs (a missing SQLite file is not created)."""
    parsed = make_url(url)
    path = sqlite_file(parsed)
    if parsed.get_backend_name() == "sqlite" and path is None:
        return []  # in memory: check_settings already calls that an error
    if path is not None and not path.exists():
        return [error("DATABASE_URL", not_initialised(parsed))]
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            state = schema_state(connection)
    except SQLAlchemyError as exc:
        return [error("DATABASE_URL", database_problem(exc, engine.url))]
    finally:
        engine.dispose()
    problem = schema_problem(state, engine.url)
    return [error("DATABASE_URL", problem)] if problem is not None else []


def _instance_path() -> str:
    # The folder create_app reads rectiflow.cfg from: RECTIFLOW_INSTANCE_PATH, else Flask's own
    # choice for web.app. The app itself is not built: a bad setting would stop that, and its
    # SECRET_KEY, once built, is a random one even when none is set.
    if current_app:
        return str(current_app.instance_path)
    app = Flask("web.app", instance_relative_config=True, instance_path=os.environ.get("RECTIFLOW_INSTANCE_PATH"))
    return str(Path(app.instance_path))


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


COMMANDS = [check_config]

"""The application factory: settings, services, extensions and blueprints, assembled in one place."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine

from engine import WorkflowEngine
from engine.db import make_engine, make_session_factory
from engine.request_context import current_request_id, reset_request_id, sane_request_id, set_request_id

from . import (
    admin,
    api,
    auth,
    dashboard,
    db_session,
    delegation,
    errors,
    evidence,
    formatting,
    health,
    i18n,
    imports,
    inbox,
    ledger,
    logging_setup,
    metrics,
    navigation,
    problems,
    public,
    reminders,
    report_assets,
    steps,
    tasks,
    vendor,
)
from .cli.commands import init_app as init_cli
from .config import load_config
from .service_settings import service_registry
from .services import EXTENSION_KEY, Services

__all__ = ["Services", "create_app"]

log = logging.getLogger(__name__)

# Objects only tests hand in; they are services, not settings, so they stay out of app.config.
_OBJECT_KEYS = ("DB_ENGINE", "ENGINE_CLOCK")

# Everything is served from this site (no CDN, no inline script), so the policy can be strict.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
REQUEST_ID_HEADER = "X-Request-ID"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build a Rectiflow web app; ``test_config`` overrides every other source of settings.

    Tests may pass ``DB_ENGINE`` (an existing SQLAlchemy engine, e.g. the shared
    test database) and ``ENGINE_CLOCK`` (a clock for the workflow engine).
    Raises ``config.ConfigError`` on a bad setting.
    """
    overrides = dict(test_config or {})
    objects = {key: overrides.pop(key) for key in _OBJECT_KEYS if key in overrides}

    # RECTIFLOW_INSTANCE_PATH moves the instance folder (tests point it at a temporary one).
    # CommittingFlask: each request commits inside dispatch, so a race lost at commit is a 409.
    app = db_session.CommittingFlask(
        __name__, instance_relative_config=True, instance_path=os.environ.get("RECTIFLOW_INSTANCE_PATH")
    )
    app.config.update(load_config(overrides, instance_path=app.instance_path))
    if click.get_current_context(silent=True) is None:
        # A web process (gunicorn's workers): its log is its output. A command keeps its own
        # (``rectiflow scheduler`` sets this up itself, web.scheduler.run_blocking).
        logging_setup.configure_logging(app.config["LOG_FORMAT"])
    _ensure_secret_key(app)

    db_engine = objects.get("DB_ENGINE") or _database(app.config)
    clock = objects.get("ENGINE_CLOCK")
    registry = service_registry(app.config)  # SERVICES and HTTP_POST_HOSTS, checked by load_config
    workflow_engine = WorkflowEngine(clock, services=registry) if clock is not None else WorkflowEngine(
        services=registry)
    app.extensions[EXTENSION_KEY] = Services(
        db_engine=db_engine,
        session_factory=make_session_factory(db_engine),
        workflow_engine=workflow_engine,
    )

    # First of all hooks: whatever a later hook logs or audits carries the request's id.
    app.before_request(_begin_request_id)
    app.teardown_request(_end_request_id)
    db_session.init_app(app)
    i18n.init_app(app)
    steps.init_app(app)
    formatting.init_app(app)  # local_datetime / local_date filters in DISPLAY_TIMEZONE
    CSRFProtect(app)
    auth.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    report_assets.init_app(app)
    init_cli(app)  # the command line is the app's: `rectiflow` reads the same configuration
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    for area in (inbox, tasks, evidence, delegation, reminders, ledger, problems, dashboard, imports, public, vendor,
                 admin):
        app.register_blueprint(area.bp)
    api.init_app(app)
    app.after_request(_add_security_headers)
    return app


def _database(config: Any) -> Engine:
    url = config["DATABASE_URL"]
    if url.startswith("sqlite"):
        return make_engine(url)
    # Beyond the kept connections, as many again may open for a burst and close after it.
    return make_engine(url, pool_size=config["DB_POOL_SIZE"], max_overflow=config["DB_POOL_SIZE"])


def _ensure_secret_key(app: Flask) -> None:
    if app.config["SECRET_KEY"]:
        return
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.debug:
        log.warning(
            "SECRET_KEY is not set: using a random key, so sessions end when the app restarts "
            "and workers do not share them. Set RECTIFLOW_SECRET_KEY or SECRET_KEY in instance/rectiflow.cfg."
        )


def _add_security_headers(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    request_id = current_request_id()
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _begin_request_id() -> None:
    # A proxy's or client's id is kept when it is a plain token, so one id follows a request across
    # services; anything else (too long, odd characters: log or header injection) gets a fresh one.
    g.request_id_token = set_request_id(sane_request_id(request.headers.get(REQUEST_ID_HEADER)))


def _end_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        reset_request_id(token)

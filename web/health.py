"""``/health`` (liveness) and ``/ready`` (readiness): what an orchestrator's probes see.

``/health`` says only that this process answers HTTP. It reads no database on purpose: a
liveness probe that fails while the database is down makes the orchestrator restart every web
worker over and over (a restart cures nothing the database did), and the restarts pile onto the
database as it comes back. ``/ready`` is the probe that looks at what the app depends on, so a
load balancer holds requests back until it is fit to serve them:

* ``database`` — a connection answers ``SELECT 1``;
* ``schema`` — the schema is at the migration this code needs (``workflows.schema``);
* ``scheduler`` — some ``rectiflow scheduler`` replica ticked within ``STOPPED_AFTER_INTERVALS``
  tick intervals (``engine.heartbeat``: the same rule as ``rectiflow scheduler --status``'s
  "stopped"); left out when ``READY_REQUIRE_SCHEDULER`` is false.

``READY_REQUIRE_SCHEDULER`` (``web.config``, default true): web workers run no scheduler but depend
on one to fire deadlines, so by default a deployment without a live ``rectiflow scheduler`` (or
``rectiflow serve`` with its scheduler) is not ready. Turn it off where no scheduler is meant to run,
or where ``/ready`` gates a load balancer that should keep serving pages through a scheduler
outage (then alert on the metric ``rectiflow_scheduler_up`` instead).

Both answer JSON; ``/ready`` answers 200 when every check is ``ok`` and 503 naming the failing ones.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.heartbeat import STOPPED_AFTER_INTERVALS
from workflows.metrics_data import last_heartbeat_at
from workflows.schema import schema_state

from .services import services

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Liveness: the process answers; nothing else is looked at (see the module)."""
    return jsonify(status="ok"), 200


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """Readiness: database reachable, schema current, a scheduler heartbeat fresh (see the module)."""
    checks: dict[str, Any] = {}
    found = services()
    try:
        with found.db_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            state = schema_state(connection)
            checks["schema"] = "ok" if state.up_to_date else (
                f"at revision {state.current or 'none'}, needs {state.head}")
            if current_app.config["READY_REQUIRE_SCHEDULER"]:
                checks["scheduler"] = _scheduler_check(connection)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.warning("readiness check: database unreachable: %s", reason[0] if reason else type(exc).__name__)
        checks.setdefault("database", "unreachable")
        if checks["database"] == "ok":  # it answered, then failed on the schema or heartbeat query
            checks.setdefault("schema", "unreadable")
    failing = sorted(name for name, value in checks.items() if value != "ok")
    if failing:
        return jsonify(status="unavailable", failing=failing, checks=checks), 503
    return jsonify(status="ok", checks=checks), 200


def _scheduler_check(connection: Connection) -> str:
    """``ok`` when a replica ticked within the stopped-after limit, else why not."""
    interval = current_app.config["SCHEDULER_INTERVAL_SECONDS"]
    limit = timedelta(seconds=interval * STOPPED_AFTER_INTERVALS)
    last = last_heartbeat_at(connection)
    if last is None:
        return "no heartbeat: no scheduler has run"
    age = services().workflow_engine.clock() - last
    if age > limit:
        return f"stale: last heartbeat {int(age.total_seconds())} s ago (limit {int(limit.total_seconds())} s)"
    return "ok"

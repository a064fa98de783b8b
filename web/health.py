"""``/health``: is the app up, can it reach its database, how many processes are deployed."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from engine import ProcessDefinition

from .db_session import get_session

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    try:
        deployed = get_session().scalar(select(func.count()).select_from(ProcessDefinition)) or 0
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", str(exc).splitlines()[0])
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok", deployed_processes=deployed), 200

"""Errors as responses: engine and domain errors map to HTTP statuses, never to a traceback.

Browsers get an HTML page; ``/api/`` paths and clients asking for JSON get
``{"error": code, "message": text}`` (``code`` a short word for programs, ``text`` for
people). Engine and domain messages are one line written for users, so they are shown;
anything unexpected is logged and shown as a generic message.

Statuses: not found or not visible 404, not allowed 403, a task that moved on (claimed,
completed, cancelled, stale) or a lost race 409, refused input 422. Pages of the task area
answer with a link back to the inbox, and a refused completion shows what was typed, so a
submission is never lost without a trace.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from engine import (
    ConflictError,
    DeployError,
    EngineError,
    NotAllowed,
    NotFound,
    TaskStateError,
    WorkflowFailure,
)
from engine.errors import as_conflict
from workflows.errors import DomainError, NotFoundError, ValidationError

from .i18n import error_text, t

log = logging.getLogger(__name__)

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (NotFoundError, 404),
    (NotAllowed, 403),
    (ConflictError, 409),
    (TaskStateError, 409),
    (ValidationError, 422),
    (DeployError, 400),
    (WorkflowFailure, 500),
    (EngineError, 400),
    (DomainError, 400),
)

_GENERIC_MESSAGE_KEYS = {
    400: "error.400",
    401: "error.401",
    403: "error.403",
    404: "error.404",
    405: "error.405",
    409: "error.409",
    413: "error.413",
    422: "error.400",
}
# The ``error`` word of a JSON error, by status (``ApiError`` names its own, more precise ones).
ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "too_large", 422: "invalid", 429: "rate_limited", 500: "internal_error",
    503: "unavailable",
}
# Blueprints whose error pages lead back to the inbox (their pages are reached from it).
_TASK_AREAS = frozenset({"tasks", "inbox", "evidence", "delegation"})


def init_app(app: Flask) -> None:
    """Register the handlers on ``app``."""
    app.register_error_handler(EngineError, _handle_domain_error)
    # A lost race can also surface at commit time, after the services ran; the request commits
    # inside dispatch (db_session.CommittingFlask), so it reaches these handlers: a 409, not a 500.
    app.register_error_handler(StaleDataError, _handle_database_error)
    app.register_error_handler(OperationalError, _handle_database_error)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_exception)


def wants_json() -> bool:
    """Whether this request should get JSON errors: an ``/api/`` path or a JSON-only client."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   code: str | None = None, fields: dict[str, str] | None = None) -> tuple[Response, int]:
    """An error in the form the client asked for (HTML page, or JSON ``{"error": code, "message": text}``,
    with ``fields``: field name -> message for refused input)."""
    if wants_json():
        body: dict[str, object] = {"error": code or ERROR_CODES.get(status, "error"), "message": message}
        if fields:
            body["fields"] = fields
        response = jsonify(body)
    else:
        response = Response(_render_page(status, message), mimetype="text/html")
    if headers:
        response.headers.update(headers)
    return response, status


def _handle_domain_error(error: Exception) -> tuple[Response, int]:
    status = next(code for cls, code in STATUS_BY_ERROR if isinstance(error, cls))
    message = error_text(error) or t(_GENERIC_MESSAGE_KEYS.get(status, "error.500"))
    if status >= 500:
        current_app.logger.error(
            "%s on %s %s: %s", type(error).__name__, request.method, request.path, error, exc_info=error
        )
    return error_response(status, message)


def _handle_database_error(error: Exception) -> tuple[Response, int]:
    conflict = as_conflict(error)
    if conflict is None:
        current_app.logger.error("database error on %s %s", request.method, request.path, exc_info=error)
        return error_response(500, t("error.500"))
    return error_response(409, str(conflict))


def _handle_csrf_error(_error: CSRFError) -> tuple[Response, int]:
    return error_response(400, t("error.csrf"), code="csrf")


def _handle_http_exception(error: HTTPException) -> Response | HTTPException | tuple[Response, int]:
    if error.code is None:  # not a real error response (e.g. a routing redirect)
        return error
    status = error.code
    if status >= 500:
        # Werkzeug wraps unexpected exceptions in InternalServerError; Flask has logged them already.
        message = t("error.500")
    else:
        message = t(_GENERIC_MESSAGE_KEYS.get(status, "error.400"))
    allow = dict(error.get_headers()).get("Allow")  # a 405 must say which methods work
    fields = _argument_errors(error)
    if fields:  # the API's declared arguments were refused: say which, and why
        message = next(iter(fields.values()))
    return error_response(status, message, {"Allow": allow} if allow else None, fields=fields)


def _argument_errors(error: HTTPException) -> dict[str, str]:
    """The messages of arguments the API's schemas refused (webargs puts them on the 422), by field."""
    messages = getattr(error, "data", {}).get("messages") if isinstance(getattr(error, "data", None), dict) else None
    fields: dict[str, str] = {}
    for by_field in (messages or {}).values():  # by location: query, json, form…
        for name, texts in (by_field.items() if isinstance(by_field, dict) else ()):
            fields[str(name)] = " ".join(map(str, texts)) if isinstance(texts, list) else str(texts)
    return fields


def _render_page(status: int, message: str) -> str:
    try:
        if request.blueprint in _TASK_AREAS:
            return render_template("tasks/error.html", status=status, message=message, typed=_typed_input(status))
        return render_template("errors/error.html", status=status, message=message)
    except Exception:  # e.g. the database is down while the header loads the user
        log.exception("rendering the error page failed")
        return f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"


def _typed_input(status: int) -> dict[str, str]:
    """What a person typed into a task form that failed (e.g. a race lost at commit): shown to copy."""
    if request.endpoint != "tasks.complete" or status == 413:  # a 413's body was never read
        return {}
    try:
        from .tasks.page import typed_values  # lazy: web.tasks imports web.auth, which imports this module

        return typed_values(request.form, blank=False)
    except Exception:  # a body that cannot be parsed is no input to show
        return {}

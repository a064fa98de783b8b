"""Log output for web processes and ``rectiflow scheduler``: plain text, or one JSON object per line.

``LOG_FORMAT`` (``web.config``) picks it: ``text`` (the default, for a terminal) or ``json`` (for a
log collector). A JSON line holds ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
``request_id`` when written inside a request or a scheduler tick (``engine.request_context``) and
``exception`` when a traceback is attached. Text lines carry the id too, in brackets.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from engine.request_context import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
LOG_FORMATS = ("text", "json")
# Marks the handler installed here, so a second app in the same process does not add another.
_HANDLER_NAME = "rectiflow"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``-`` outside a request or tick)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; non-ASCII text (Chinese messages) is written as is."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id() or _access_line_request_id(record)
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _access_line_request_id(record: logging.LogRecord) -> str | None:
    # gunicorn logs a request after the app is done with it (the id's context has ended), handing its
    # access-log atoms as the record's arguments; the response header is among them.
    atoms = record.args if record.name == "gunicorn.access" and isinstance(record.args, dict) else None
    value = atoms.get("{x-request-id}o") if atoms else None
    return value if isinstance(value, str) and value not in ("", "-") else None


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) writing ``log_format`` lines with the request id."""
    handler: logging.Handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: str, *, force: bool = False) -> bool:
    """Install the handler on the root logger once per process; whether it did.

    Warnings from everyone, and what Rectiflow's own ``web.*`` loggers report at INFO (what a
    scheduler fired); not SpiffWorkflow's line per task nor APScheduler's line per tick. Without
    ``force`` a root logger that already has a handler is left alone (a test runner's capture,
    gunicorn's ``--log-config``, a developer's own setup, or this function's earlier call).
    """
    root = logging.getLogger()
    if root.handlers and not force:
        return False
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(logging.WARNING)
    logging.getLogger("web").setLevel(logging.INFO)
    return True

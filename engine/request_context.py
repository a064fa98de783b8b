"""The id of the unit of work in progress (a web request, a scheduler tick), for logs and the audit log.

A ``ContextVar`` rather than an argument: the id must reach every audit row and log line written
while the unit runs, through code that has no reason to know about it. The web layer sets it per
request (``web.app``), the scheduler per tick (``web.scheduler``); the engine only reads it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

MAX_LENGTH = 64  # audit_log.request_id is String(64)
# An incoming id is kept only if it is a plain token: it goes into logs and the database verbatim.
_SANE = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_LENGTH}}}")

_current: ContextVar[str | None] = ContextVar("rectiflow_request_id", default=None)


def new_request_id() -> str:
    """A fresh id: 32 hex digits."""
    return uuid.uuid4().hex


def sane_request_id(candidate: str | None) -> str:
    """``candidate`` if it is a token of at most 64 characters of ``[A-Za-z0-9._-]``, else a fresh id."""
    if candidate and _SANE.fullmatch(candidate):
        return candidate
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the unit of work in progress in this context (None outside one)."""
    return _current.get()


def set_request_id(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` current; returns a token for :func:`reset_request_id`."""
    return _current.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the id that was current before the matching :func:`set_request_id`."""
    _current.reset(token)


@contextmanager
def request_id_scope(request_id: str | None = None) -> Iterator[str]:
    """Run a block as one unit of work with ``request_id`` (default: a fresh one); yields it."""
    chosen = request_id or new_request_id()
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)

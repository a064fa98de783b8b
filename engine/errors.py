"""Errors the engine raises; each carries a one-line message fit for a user."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error."""


class DeployError(EngineError):
    """A diagram was rejected; the message names the file and the element."""


class NotFound(EngineError):
    """The definition, instance or task does not exist."""


class TaskStateError(EngineError):
    """The task cannot do that now: claimed, completed, not yours, or stale."""


class NotAllowed(EngineError):
    """The actor may not act on this task."""


class ConflictError(EngineError):
    """Someone else changed the same instance first; reload and try again."""


class WorkflowFailure(EngineError):
    """The diagram failed while running (a script or condition raised)."""


def failure_message(bpmn_id: str | None, exc: BaseException, what: str = "") -> str:
    """One line saying which element failed and why."""
    where = f"'{bpmn_id}'" if bpmn_id else "the process"
    if what:
        where = f"{what} of {where}"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return f"{where} failed: {message}"


def as_conflict(exc: BaseException) -> ConflictError | None:
    """The ConflictError a database error means when it is a lost race (else None).

    A stale version (someone saved the instance first), SQLite's "database is locked",
    PostgreSQL's serialization failures and deadlocks are all the same thing to a user:
    someone else changed it first; reload and try again.
    """
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(exc, StaleDataError):
        return ConflictError("someone else changed this process at the same time; reload and try again")
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        if "locked" in text or "could not serialize" in text or "deadlock" in text:
            return ConflictError("the process is busy with another change; try again")
    return None

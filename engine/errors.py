"""Errors the engine raises; each carries a one-line message fit for a user."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class EngineError(Exception):
    """Base of every engine error."""


@dataclass(frozen=True)
class DeployProblem:
    """One refusal of a diagram, tied to the element it is about (when there is one).

    ``message`` is the whole line a user reads: the file, the element (id, BPMN type, name,
    line), what is wrong and, as ``hint`` repeats on its own, what to do instead.
    """

    message: str
    element_id: str | None = None
    element_type: str | None = None
    name: str | None = None
    line: int | None = None
    file: str | None = None
    hint: str | None = None


class DeployError(EngineError):
    """A diagram was rejected; the message names the file and the element.

    ``problems`` lists every refusal found (the message is the first one's); an error found
    while SpiffWorkflow reads the file has none besides its message.
    """

    def __init__(self, message: str, problems: Iterable[DeployProblem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[DeployProblem, ...] = tuple(problems)


class NotFound(EngineError):
    """The definition, instance or task does not exist."""


class NoReceiver(NotFound):
    """A message or signal that no instance waits for and no deployed process starts on."""


class TaskStateError(EngineError):
    """The task cannot do that now: claimed, completed, not yours, or stale."""


class NotAllowed(EngineError):
    """The actor may not act on this task."""


class ConflictError(EngineError):
    """Someone else changed the same instance first; reload and try again."""


class WorkflowFailure(EngineError):
    """The diagram failed while running; the message names the element and what went wrong.

    Every failure inside a step (a script, a condition, a timer value, a property, data
    that cannot be saved, a step that ran too long) reaches the caller as this one type.
    """

    def __init__(self, message: str, *, bpmn_id: str | None = None) -> None:
        super().__init__(message)
        self.bpmn_id = bpmn_id


def failure_message(bpmn_id: str | None, exc: BaseException, what: str = "") -> str:
    """One line saying which element failed and why."""
    where = f"'{bpmn_id}'" if bpmn_id else "the process"
    if what:
        where = f"{what} of {where}"
    message = one_line(exc)
    # SpiffWorkflow prefixes a script's error with its class ("ScriptError:..."): noise to a reader.
    error_type = getattr(exc, "error_type", None)
    if isinstance(error_type, str) and message.startswith(f"{error_type}:"):
        message = message.removeprefix(f"{error_type}:").strip()
    return f"{where} failed: {message}"


def one_line(exc: BaseException | str, limit: int = 500) -> str:
    """The first line of an error's message (its class name when it has none), at most ``limit`` characters."""
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


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


@contextlib.contextmanager
def conflicts() -> Iterator[None]:
    """Turn lost races into ConflictError, whatever the database reports."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    try:
        yield
    except (StaleDataError, OperationalError) as exc:
        conflict = as_conflict(exc)
        if conflict is None:
            raise
        raise conflict from None

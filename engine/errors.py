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

"""Domain errors; messages are one line and fit to show a user."""

from __future__ import annotations


class DomainError(Exception):
    """Base of rectification-domain errors."""


class ValidationError(DomainError):
    """Input that does not make sense: a wrong value, a missing field, an unknown unit."""


class NotFoundError(DomainError):
    """The round, problem, measure or person does not exist."""

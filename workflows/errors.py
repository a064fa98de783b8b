"""Domain errors; messages are one line and fit to show a user.

An error may carry a ``Message``: a key into the web's translation catalogue
(``web.i18n``) and its parameters, with the English text as the default that the
command line and the logs show (``str(error)``). The domain speaks no particular
UI language; the web renders the key in the reader's. Errors raised with a plain
string keep working: the string is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """A user-facing message: catalogue ``key``, ``params`` and the English ``default`` (a
    ``str.format`` template). A parameter may itself be a ``Message`` (e.g. a field's label)."""

    key: str
    default: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.default.format(**{name: str(value) for name, value in self.params.items()})


class DomainError(Exception):
    """Base of rectification-domain errors; ``message`` is the keyed message, if there is one."""

    def __init__(self, message: str | Message) -> None:
        self.message: Message | None = message if isinstance(message, Message) else None
        super().__init__(str(message))


class ValidationError(DomainError):
    """Input that does not make sense: a wrong value, a missing field, an unknown unit."""


class NotFoundError(DomainError):
    """The round, problem, measure or person does not exist."""

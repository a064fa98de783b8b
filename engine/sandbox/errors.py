"""Exceptions raised by the script sandbox (:mod:`engine.sandbox`).

Both carry the failing ``lineno``/``col`` separately and in the message; columns are 0-based, like
:mod:`ast` offsets, lines are 1-based.
"""

from __future__ import annotations

__all__ = ["ScriptError", "ScriptRejected"]


class ScriptRejected(ValueError):
    """A script or expression failed the static check; it was not run at all."""

    def __init__(self, message: str, *, lineno: int | None = None, col: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        self.col = col
        super().__init__(_with_location(message, lineno, col))


class ScriptError(RuntimeError):
    """A script or expression failed at run time (unknown name, bad operand, limit exceeded...)."""

    def __init__(self, message: str, *, lineno: int | None = None, col: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        self.col = col
        super().__init__(_with_location(message, lineno, col))


def _with_location(message: str, lineno: int | None, col: int | None) -> str:
    message = " ".join(message.split())  # always one line
    if lineno is None:
        return message
    return f"{message} (line {lineno}, col {col if col is not None else 0})"

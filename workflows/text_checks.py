"""Text that may reach the database: storable, and no longer than its column.

Text no database can store — a NUL character (PostgreSQL refuses it), a lone surrogate (not
valid Unicode) — is refused with a message naming where it is, rather than stripped: plans and
ledgers are official texts, and silently changing them would make the record differ from what was
signed. Refusing happens before anything is written, and never as a database error.
"""

from __future__ import annotations

from typing import Any

from engine import text_fault

from .errors import ValidationError


def check_text(value: str | None, what: str, max_length: int | None = None) -> None:
    """``ValidationError`` if ``value`` cannot be stored or is longer than ``max_length``."""
    if value is None:
        return
    fault = text_fault(value)
    if fault:
        raise ValidationError(f"{what} {fault}, which cannot be stored")
    if max_length is not None and len(value.strip()) > max_length:
        raise ValidationError(f"{what} is longer than {max_length} characters")


def check_json_text(value: Any, what: str) -> None:
    """``ValidationError`` if any key or text inside a JSON value (dicts, lists) cannot be stored."""
    stack = [value]
    while stack:  # a loop, not recursion: the value may come from a file
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, what)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)

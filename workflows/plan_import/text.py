"""Text that may reach the database from a plan: storable, and no longer than its column.

A plan comes from a document (.txt, .docx, an edited ledger workbook, later a scraped web
page). Text no database can store — a NUL character (PostgreSQL refuses it), a lone
surrogate (not valid Unicode) — is refused with a message naming where it is, rather than
stripped: the document is an official text, and silently changing it would make the plan
differ from what was signed. Refusing happens before anything is written, so a refused
import leaves nothing behind; and never as a database error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from engine import text_fault

from ..errors import ValidationError
from .tree import ParsedPlan


def check_parsed_plan(parsed: ParsedPlan) -> None:
    """Refuse a parsed plan holding text no database can store; the message names the place."""
    source = "" if text_fault(parsed.source_name) else f"{parsed.source_name}: "
    for what, value in _texts(parsed):
        fault = text_fault(value)
        if fault:
            raise ValidationError(f"{source}{what} {fault}, which cannot be stored")


def _texts(parsed: ParsedPlan) -> Iterator[tuple[str, str]]:
    yield "the file name", parsed.source_name
    yield from _fields(parsed.meta, "the plan's")
    for key, lines in parsed.sections.items():
        for line in lines:
            yield f"the {key} section", line
    for part in parsed.parts:
        yield from _fields(part, f"part {part.ordinal}'s")
        for problem in part.problems:
            yield from _fields(problem, f"problem {part.ordinal}.{problem.ordinal}'s")
            for measure in problem.measures:
                yield from _fields(measure, f"measure {part.ordinal}.{problem.ordinal}.{measure.ordinal}'s")


def _fields(item: Any, owner: str) -> Iterator[tuple[str, str]]:
    """Every text held by a dataclass of the parsed tree: plain, in lists and in dicts (one level)."""
    for spec in fields(item):
        value = getattr(item, spec.name)
        label = f"{owner} {spec.name.replace('_', ' ')}"
        if isinstance(value, str):
            yield label, value
        elif isinstance(value, list):
            yield from ((label, v) for v in value if isinstance(v, str))
        elif isinstance(value, dict):
            for key, v in value.items():
                yield from ((label, t) for t in (key, v) if isinstance(t, str))

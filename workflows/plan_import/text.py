"""Text that may reach the database from a plan: storable, and no longer than its column.

A plan comes from a document (.txt, .docx, an edited ledger workbook, later a scraped web
page). Text no database can store — a NUL character (PostgreSQL refuses it), a lone
surrogate (not valid Unicode) — is refused with a message naming where it is, rather than
stripped: the document is an official text, and silently changing it would make the plan
differ from what was signed. Refusing happens before anything is written, so a refused
import leaves nothing behind; and never as a database error.

A report in traditional script is read as simplified (``to_simplified``): every pattern of the
importer is written in simplified characters, and the tree must be the one of the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from functools import lru_cache
from typing import Any

from engine import text_fault

from ..errors import ValidationError
from .tree import ParsedPlan

# Traditional-only characters frequent in rectification reports (none is used in simplified
# script): a page in traditional script holds dozens of them, a simplified one none, so a
# simplified document is never handed to the converter and its parse costs one regex scan.
_TRADITIONAL_RE = re.compile(
    "[實黨對強導題務會區學進員組問領責幹動發設關習為爲機項議織開嚴規時體結積範聯確針業選堅風職專"
    "報監態執點總質單審統決與個級創識傳據廣紀運處調隊見視於辦協標評眾衆則產話轉過請揮經資費條"
    "內壓徹記斷檢兩饋國現貫來從細論談財頭負環節險極數類參長況講認緊層門後穩續優訂並崗討當際夠]"
)
#: a few stray traditional characters (a name, a quotation) do not make a traditional document
_TRADITIONAL_MIN = 3


def to_simplified(text: str) -> str:
    """``text`` in simplified script: converted (OpenCC t2s) only when it is written in traditional."""
    hits = 0
    for _ in _TRADITIONAL_RE.finditer(text):
        hits += 1
        if hits >= _TRADITIONAL_MIN:
            return _t2s().convert(text)
    return text


@lru_cache(maxsize=1)
def _t2s() -> Any:
    # imported on first use: its dictionaries take tens of milliseconds to load, and a
    # simplified document never needs them
    from opencc import OpenCC

    return OpenCC("t2s")


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

"""Item keys: the text that ties an engine row (task, event, timer) to the domain item it is about.

A key is ``measure:<id>`` or ``problem:<id>``. The diagram's ``item_key`` expressions write the
same text (``'measure:' + str(measure['id'])``); tests/workflows/test_stages.py evaluates them
and reads the result back with :func:`parse`, so the two cannot drift apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ItemKind(enum.StrEnum):
    """What an item key points at."""

    MEASURE = "measure"
    PROBLEM = "problem"


@dataclass(frozen=True)
class ItemKey:
    """A parsed item key."""

    kind: ItemKind
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def measure_key(measure_id: int) -> str:
    """The item key of a measure (整改措施)."""
    return str(ItemKey(ItemKind.MEASURE, measure_id))


def problem_key(problem_id: int) -> str:
    """The item key of a problem."""
    return str(ItemKey(ItemKind.PROBLEM, problem_id))


def parse(key: str | None) -> ItemKey | None:
    """The kind and id a key names, or None for no key or one this domain never writes."""
    if not key:
        return None
    kind, sep, number = key.partition(":")
    # isdecimal and isascii: int() would also take ' 7', '+7' or full-width digits, which no key has.
    if not sep or kind not in ItemKind.__members__.values() or not (number.isascii() and number.isdecimal()):
        return None
    return ItemKey(ItemKind(kind), int(number))


def measure_id(key: str | None) -> int | None:
    """The measure's id if the key names a measure, else None."""
    parsed = parse(key)
    return parsed.id if parsed is not None and parsed.kind == ItemKind.MEASURE else None

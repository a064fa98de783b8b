"""Who is acting: passed explicitly into every engine operation."""

from __future__ import annotations

from dataclasses import dataclass, field

# The actor recorded for machine-driven work (timers fired by the scheduler).
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """A person (or the scheduler) as the engine sees them: a key, groups and units."""

    key: str
    groups: frozenset[str] = field(default_factory=frozenset)
    units: frozenset[str] = field(default_factory=frozenset)

"""Where a persisted step's time goes: SpiffWorkflow, serialisation, SQL, commit, the rest.

A small exclusive-time profiler for ``bench/lifecycle.py --breakdown``: it wraps the few
functions that make up a step, keeps a stack of the categories being timed, and charges
each stretch of time to the innermost one, so nested calls (an autoflush inside a query,
the JSON encoder inside a save) are counted once. Everything not in a category is "ours".
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.serialization import StateSerializer

# (owner, attribute, category): the step's parts as the issue names them.
POINTS: list[tuple[type, str, str]] = [
    (BpmnWorkflow, "do_engine_steps", "spiffworkflow"),
    (Task, "run", "spiffworkflow"),
    (StateSerializer, "dump_state", "serialisation"),
    (StateSerializer, "load_state", "serialisation"),
    (Session, "execute", "sql"),
    (Session, "scalar", "sql"),
    (Session, "scalars", "sql"),
    (Session, "get", "sql"),
    (Session, "refresh", "sql"),
    (Session, "flush", "sql"),
    (Connection, "execute", "sql"),
    (Session, "commit", "commit"),
]


class Breakdown:
    """Exclusive seconds per category while installed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[tuple[str, float]] = []

    def _enter(self, category: str) -> None:
        now = time.perf_counter()
        if self._stack:
            outer, since = self._stack[-1]
            self.seconds[outer] += now - since
        self._stack.append((category, now))

    def _leave(self) -> None:
        now = time.perf_counter()
        category, since = self._stack.pop()
        self.seconds[category] += now - since
        if self._stack:
            outer, _ = self._stack[-1]
            self._stack[-1] = (outer, now)

    def _wrap(self, function: Callable[..., Any], category: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._enter(category)
            try:
                return function(*args, **kwargs)
            finally:
                self._leave()

        return timed

    @contextmanager
    def installed(self) -> Iterator[Breakdown]:
        """Time the points for the block, charging everything else to "ours"."""
        originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in POINTS]
        for owner, name, category in POINTS:
            setattr(owner, name, self._wrap(owner.__dict__[name], category))
        self._enter("ours")
        try:
            yield self
        finally:
            self._leave()
            for owner, name, original in originals:
                setattr(owner, name, original)

    def lines(self, steps: int) -> list[str]:
        """One line per category: ms per step and share of the total."""
        total = sum(self.seconds.values())
        order = ["spiffworkflow", "serialisation", "sql", "commit", "ours"]
        return [
            f"  {name:<14} {self.seconds[name] * 1000 / steps:6.2f} ms/step  {self.seconds[name] / total:5.1%}"
            for name in order
        ] + [f"  {'total':<14} {total * 1000 / steps:6.2f} ms/step"]

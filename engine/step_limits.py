"""A wall-clock limit on one step of one instance.

The sandbox bounds each script by steps and sizes, but a step is more than its scripts:
SpiffWorkflow's own loops, timer arithmetic, catching up on missed cycles, serialising
the state. The engine opens a :func:`time_limit` around every step and calls
:func:`check_time` between the pieces of work (each completed task, each round, each
timer evaluation, after serialising), so no instance holds a scheduler tick, or a
request, for long: past the limit the step stops with a ``WorkflowFailure``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

from .errors import WorkflowFailure

# A run that keeps producing engine work this many rounds is looping without a person in it.
MAX_ROUNDS = 1000
# Seconds one instance's step may take: a scheduler's timer step, and a person's request.
TIMER_STEP_SECONDS = 5.0
REQUEST_STEP_SECONDS = 30.0

_limit: ContextVar[tuple[float, float] | None] = ContextVar("rectiflow_step_limit", default=None)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Run the block under a limit of ``seconds`` (an enclosing, earlier limit still applies)."""
    deadline = time.monotonic() + seconds
    outer = _limit.get()
    if outer is not None and outer[0] < deadline:
        deadline, seconds = outer
    token = _limit.set((deadline, seconds))
    try:
        yield
    finally:
        _limit.reset(token)


def check_time(bpmn_id: str | None = None) -> None:
    """Stop the step with a WorkflowFailure naming ``bpmn_id`` when its time is up."""
    limit = _limit.get()
    if limit is None or time.monotonic() <= limit[0]:
        return
    where = f"'{bpmn_id}'" if bpmn_id else "the process"
    raise WorkflowFailure(f"{where} failed: the step ran longer than {limit[1]:g} s and was stopped",
                          bpmn_id=bpmn_id)

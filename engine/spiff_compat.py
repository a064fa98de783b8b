"""Three corrections to SpiffWorkflow 3.2 that the engine depends on.

1. Timer event definitions call ``datetime.now()`` directly. We swap the
   module's ``datetime`` for a subclass whose ``now`` asks the engine clock, so
   timers fire on the engine's time and tests never sleep.
2. Task iterators stop silently at depth 1,000. A problem that loops (returns,
   rebounds, years of periodic reports) grows its task tree with every loop and
   would stop finding its ready tasks: the workflow would stall without error.
   The iterators are flat (no recursion), so an unbounded depth is safe.
3. Timer values are evaluated by :mod:`engine.timer_events`: strictly parsed, bounded
   (SpiffWorkflow adds ``P99999999Y`` one month at a time, for minutes), calendar
   months for ``P1M`` and ``R/P1M``, and a ``WorkflowFailure`` naming the timer for a
   bad value instead of a bare ``Exception``.

They change SpiffWorkflow's classes and module globals, which every workflow in the
process shares: they belong to the process, not to one engine object. So they are
applied explicitly, once per process, when the ``engine`` package is imported
(``engine/__init__.py``), before anything can deploy or run a diagram; :func:`apply`
is idempotent, so a script using SpiffWorkflow directly may call it again.
"""

from __future__ import annotations

import sys
from datetime import datetime as _datetime
from datetime import tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer
from SpiffWorkflow.bpmn.util import task as _bpmn_task_util
from SpiffWorkflow.util import task as _task_util

from . import timer_events
from .clock import current_time

UNBOUNDED_DEPTH = sys.maxsize


class _EngineDatetime(_datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _datetime:  # type: ignore[override]
        now = current_time()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


def _unbounded(init):  # type: ignore[no-untyped-def]
    def __init__(self, task, end_at_spec=None, max_depth=UNBOUNDED_DEPTH, *args, **kwargs):  # type: ignore[no-untyped-def]
        init(self, task, end_at_spec, max_depth, *args, **kwargs)

    __init__.__wrapped__ = init  # type: ignore[attr-defined]
    return __init__


_applied = False


def apply() -> None:
    """Install the corrections; safe to call more than once (later calls do nothing)."""
    global _applied
    if _applied:
        return
    _applied = True
    timer_events.install()
    if _timer.datetime is not _EngineDatetime:
        _timer.datetime = _EngineDatetime  # type: ignore[misc]
    for cls in (_task_util.TaskIterator, _bpmn_task_util.BpmnTaskIterator):
        if not hasattr(cls.__init__, "__wrapped__"):
            cls.__init__ = _unbounded(cls.__init__)  # type: ignore[method-assign]

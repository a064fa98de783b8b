"""A short-lived memo of the ledger page's counters and problem order, per view.

Deriving every status of a 10,000-problem round in SQL means reading every task and event of the
round: a few hundred milliseconds, too slow to do on every page. What a view needs from it — the
counters and the ordered ids of its problems — changes only when the data does, so it is kept
here, keyed by the view (round, filters, the viewer's identity, China's date, the warning window)
and by a *watermark* of the data: the highest id of every append-only log the work writes (tasks,
events, the audit trail that every engine step, claim, release, reassignment, flag and people
change writes, deadline changes) and of the plan's tables, and the number of cleared flags — each
an index lookup, so a hit costs a few milliseconds. A workbook import, which rewrites texts, units and
deadlines in place, writes an audit entry too. Anything the watermark still cannot see (an edit made
outside Rectiflow) reaches the counters within ``TTL_SECONDS``; the page's rows are always read fresh.

One memo per app (``web.ledger`` keeps it in ``app.extensions``), so tests and apps never share one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import HumanTask, ProcessEvent
from engine.models import AuditEntry

from .models import DeadlineChange, Measure, Part, Problem, ProblemFlag
from .report import ReportStats

TTL_SECONDS = 30.0
MAX_VIEWS = 64


@dataclass(frozen=True)
class ViewSummary:
    """A view's counters and the ids of its problems in ledger order (every page)."""

    stats: ReportStats
    problem_ids: tuple[int, ...]


def watermark(session: Session) -> tuple[Any, ...]:
    """The data's high-water marks (one query of index lookups)."""
    parts: list[Any] = [
        select(func.max(HumanTask.id)).scalar_subquery(),
        select(func.max(ProcessEvent.id)).scalar_subquery(),
        select(func.max(AuditEntry.id)).scalar_subquery(),
        select(func.max(DeadlineChange.id)).scalar_subquery(),
        select(func.max(ProblemFlag.id)).scalar_subquery(),
        select(func.count(ProblemFlag.cleared_at)).scalar_subquery(),
        select(func.max(Part.id)).scalar_subquery(),
        select(func.max(Problem.id)).scalar_subquery(),
        select(func.max(Measure.id)).scalar_subquery(),
    ]
    return tuple(session.execute(select(*parts)).one())


class ViewCache:
    """Views' summaries by key, each kept while its watermark holds and for at most ``ttl`` seconds."""

    def __init__(self, ttl: float = TTL_SECONDS, size: int = MAX_VIEWS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._views: OrderedDict[Hashable, tuple[float, ViewSummary]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], ViewSummary]) -> ViewSummary:
        """The summary for ``key``, built (outside the lock) when missing or expired."""
        now = self._clock()
        with self._lock:
            found = self._views.get(key)
            if found is not None and now - found[0] <= self._ttl:
                self._views.move_to_end(key)
                return found[1]
        summary = build()
        with self._lock:
            self._views[key] = (now, summary)
            self._views.move_to_end(key)
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return summary

    def clear(self) -> None:
        """Forget every view."""
        with self._lock:
            self._views.clear()

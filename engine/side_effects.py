"""Work that must wait until a transaction has committed: mail, notifications, calls to other systems.

A service that decides someone should be told queues the notice on the session it
was handed (``side_effects(session).add(send)``) instead of sending it at once: if
the transaction rolls back, or its commit loses a race, nobody hears of a change
that never happened. The queue lives in ``session.info``, so it belongs to exactly
one unit of work and services need no extra argument.

Whoever owns the transaction (a web request, a CLI command, a scheduler job) ends
it with ``commit_then_run(session)``, or with ``rollback_and_discard(session)``.
Side effects run outside the transaction: they must not change the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

SideEffect = Callable[[], object]

_KEY = "rectiflow.side_effects"


class SideEffects:
    """An ordered queue of side effects waiting for one transaction's commit."""

    def __init__(self) -> None:
        self._queued: list[SideEffect] = []

    def add(self, effect: SideEffect) -> None:
        """Queue ``effect`` (a callable without arguments) to run after the commit."""
        self._queued.append(effect)

    def __len__(self) -> int:
        return len(self._queued)

    def discard(self) -> None:
        """Forget every queued effect: the transaction did not commit."""
        self._queued.clear()

    def run(self) -> int:
        """Run the queued effects in order, once; returns how many failed.

        The transaction has committed already, so a failing effect cannot undo it:
        it is logged, and the effects after it still run.
        """
        effects, self._queued = self._queued, []
        failed = 0
        for effect in effects:
            try:
                effect()
            except Exception:
                failed += 1
                log.exception("a side effect failed after the commit: %r", effect)
        return failed


def side_effects(session: Session) -> SideEffects:
    """The side effects queued on ``session``'s unit of work (an empty queue at first)."""
    queue = session.info.get(_KEY)
    if not isinstance(queue, SideEffects):
        queue = session.info[_KEY] = SideEffects()
    return queue


def commit_then_run(session: Session) -> int:
    """Commit ``session``, then run its side effects; returns how many effects failed.

    A failing commit rolls the session back, drops the queue and raises: the error
    (a lost race, a constraint) is the caller's to report.
    """
    queue = side_effects(session)
    try:
        session.commit()
    except BaseException:
        queue.discard()
        try:
            session.rollback()  # leave the session usable, e.g. for rendering the error page
        except Exception:  # the connection may be gone; the commit's error is the one to report
            log.exception("rolling back after a failed commit failed")
        raise
    return queue.run()


def rollback_and_discard(session: Session) -> None:
    """Roll ``session`` back and drop its side effects: nothing happened, so nobody is told."""
    side_effects(session).discard()
    session.rollback()

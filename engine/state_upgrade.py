"""Upgrading every stored workflow state at once, instead of one by one as instances are next loaded.

Loading already upgrades an older state in memory (:mod:`engine.state_versions`) and the next save
stores it at the current version; an instance nobody touches keeps its old state. After
installing a release whose SpiffWorkflow serializer version changed, :func:`upgrade_stored_states`
rewrites them all, so no old state waits for a release that can no longer read it.

Each instance is upgraded in its own transaction under its row lock (``FOR UPDATE`` on
PostgreSQL) and version check, exactly as a step would take it, so it runs safely beside
the web and the scheduler; one it cannot read is counted and named, and left as it was.

Only running instances are rewritten. ``rectiflow init-db`` runs this at every start (the container's
entry point), and finding the old states means reading each candidate's whole state text (43 KB
states: 2.2–2.6 s per 20,000 on PostgreSQL here); a completed instance is never stepped again, and
should it be loaded (its diagram shown) it is upgraded in memory like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConflictError
from .models import InstanceStatus, ProcessInstance
from .runtime import WorkflowEngine
from .serialization import CURRENT_TAIL, STATE_VERSION
from .state_versions import SERIALIZER_VERSION, StateVersionError
from .step import lock_instance

BATCH = 200


@dataclass
class StateUpgrade:
    """What :func:`upgrade_stored_states` did."""

    upgraded: int = 0
    # Found old, but current by the time it was locked (someone saved it meanwhile), or lost a race.
    skipped: int = 0
    # One line per instance that could not be upgraded, naming it and why.
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for ``rectiflow init-db``'s output."""
        line = (f"workflow states: {self.upgraded} upgraded to {STATE_VERSION} "
                f"(SpiffWorkflow serializer {SERIALIZER_VERSION})")
        if self.refused:
            line += f", {len(self.refused)} refused: " + "; ".join(self.refused)
        return line


def upgrade_stored_states(engine: WorkflowEngine, session_factory: sessionmaker[Session], *,
                          batch_size: int = BATCH) -> StateUpgrade:
    """Rewrite every running instance's stored state older than this code writes; returns the counts.

    Candidates are read ``batch_size`` ids at a time (by the end of their state text, where the
    layout and serializer version are written); each is then locked, checked again, loaded,
    and saved in a transaction of its own, committed before the next.
    """
    result = StateUpgrade()
    after = 0
    while True:
        with session_factory() as session:
            ids = list(session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.id > after, ProcessInstance.status == InstanceStatus.RUNNING,
                       ~ProcessInstance.state.endswith(CURRENT_TAIL, autoescape=True))
                .order_by(ProcessInstance.id).limit(batch_size)
            ))
        if not ids:
            return result
        for instance_id in ids:
            _upgrade_one(engine, session_factory, instance_id, result)
        after = ids[-1]


def _upgrade_one(engine: WorkflowEngine, session_factory: sessionmaker[Session], instance_id: int,
                 result: StateUpgrade) -> None:
    with session_factory() as session:
        try:
            with session.begin():
                instance = lock_instance(session, instance_id)
                if engine.serializer.is_current(instance.state):
                    result.skipped += 1
                    return
                workflow = engine.store.deserialise(instance)
                engine.store.rewrite_state(session, instance, workflow)
        except StateVersionError as exc:
            result.refused.append(str(exc))
            return
        except ConflictError:
            result.skipped += 1  # saved by a step meanwhile: that save wrote the current version
            return
    result.upgraded += 1

"""The collaborators one app shares between requests: database, session factory, workflow engine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import WorkflowEngine
from engine.clock import Clock
from engine.side_effects import commit_then_run, rollback_and_discard

EXTENSION_KEY = "rectiflow"


@dataclass(frozen=True)
class Services:
    """What ``create_app`` builds once and every request, CLI command or job uses."""

    db_engine: Engine
    session_factory: sessionmaker[Session]
    workflow_engine: WorkflowEngine

    def with_clock(self, clock: Clock) -> Services:
        """The same database, with a workflow engine on ``clock`` (``rectiflow tick --now`` replays a date)."""
        return replace(self, workflow_engine=WorkflowEngine(clock=clock,
                                                            services=self.workflow_engine.script_engine.services))

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction outside a request (a command, a job): committed once if the block
        succeeds, rolled back otherwise, always closed."""
        session = self.session_factory()
        try:
            yield session
            commit_then_run(session)  # side effects queued by services go out only after the commit
        except BaseException:
            rollback_and_discard(session)
            raise
        finally:
            session.close()


def services(app: Flask | None = None) -> Services:
    """The services of ``app`` (default: the current app)."""
    found: Services = (app or current_app).extensions[EXTENSION_KEY]
    return found

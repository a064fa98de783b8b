"""The collaborators one app shares between requests: database, session factory, workflow engine."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import WorkflowEngine

EXTENSION_KEY = "rectiflow"


@dataclass(frozen=True)
class Services:
    """What ``create_app`` builds once and every request, CLI command or job uses."""

    db_engine: Engine
    session_factory: sessionmaker[Session]
    workflow_engine: WorkflowEngine


def services(app: Flask | None = None) -> Services:
    """The services of ``app`` (default: the current app)."""
    found: Services = (app or current_app).extensions[EXTENSION_KEY]
    return found

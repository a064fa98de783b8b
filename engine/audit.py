"""The append-only audit log: who, when, what, instance, task, data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .loaded_rows import table_of
from .models import AuditEntry
from .request_context import current_request_id

_AUDIT = table_of(AuditEntry)


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    instance_id: int | None = None,
    task_id: int | None = None,
    bpmn_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the unit of work's transaction (never updated, never deleted).

    The entry carries the id of the request or scheduler tick in progress (``engine.request_context``),
    so a row can be traced to the log lines of the same unit of work."""
    # Straight to the connection: the ORM's bulk-insert path and autoflush cost more than the insert.
    session.connection().execute(insert(_AUDIT), [{
        "at": at, "actor": actor, "action": action, "instance_id": instance_id, "task_id": task_id,
        "bpmn_id": bpmn_id, "detail": detail,
        "request_id": current_request_id(),
    }])

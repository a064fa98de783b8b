"""The append-only audit log: who, when, what, instance, task, data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .loaded_rows import table_of
from .models import AuditEntry

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
    """Append one audit entry in the unit of work's transaction (never updated, never deleted)."""
    # Straight to the connection: the ORM's bulk-insert path and autoflush cost more than the insert.
    session.connection().execute(insert(_AUDIT), [{
        "at": at, "actor": actor, "action": action, "instance_id": instance_id, "task_id": task_id,
        "bpmn_id": bpmn_id, "detail": detail,
    }])

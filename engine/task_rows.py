"""The ``human_task`` rows a claim and a completion change, written through SQLAlchemy Core.

These are the hottest statements of the engine: every task is claimed once and completed
once. Each is one conditional ``UPDATE … RETURNING`` that decides a race by itself, with no
ORM unit of work around it; on PostgreSQL the claim's audit entry rides in the same
statement (a data-modifying CTE), so a claim is one round trip. The rows come back as the
session's ``HumanTask`` objects (updated in place when the session holds them, attached
without a query when it does not), so callers see what was written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, Update, and_, bindparam, insert, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .actor import Actor
from .audit import record
from .loaded_rows import as_loaded, table_of
from .models import AuditEntry, HumanTask, TaskStatus
from .request_context import current_request_id

TASKS = table_of(HumanTask)
AUDIT = table_of(AuditEntry)


def _claim_statements() -> tuple[Update, Select[Any]]:
    """The claim, built once: SQLAlchemy then reuses its compiled form and cache key on every call."""
    candidate = or_(
        TASKS.c.candidate_user == bindparam("actor"),
        and_(TASKS.c.candidate_user.is_(None), TASKS.c.candidate_group.in_(bindparam("groups", expanding=True)),
             or_(TASKS.c.candidate_unit.is_(None), TASKS.c.candidate_unit.in_(bindparam("units", expanding=True)))),
    )  # engine.inbox.candidate_condition, with the actor as parameters
    won = (
        update(TASKS)
        .where(TASKS.c.id == bindparam("task_id"), TASKS.c.status == TaskStatus.OPEN, TASKS.c.assignee.is_(None),
               candidate)
        .values(assignee=bindparam("actor"), claimed_at=bindparam("now", type_=TASKS.c.claimed_at.type))
        .returning(*TASKS.c)
    )
    claimed = won.cte("claimed")
    audited = insert(AUDIT).from_select(
        ["at", "actor", "action", "instance_id", "task_id", "bpmn_id", "request_id"],
        select(bindparam("now", type_=AUDIT.c.at.type), bindparam("actor", type_=AUDIT.c.actor.type),
               literal("claim", AUDIT.c.action.type), claimed.c.instance_id, claimed.c.id, claimed.c.bpmn_id,
               bindparam("request_id", type_=AUDIT.c.request_id.type)),
    ).cte("audited")
    return won, select(claimed).add_cte(audited)


_CLAIM, _CLAIM_AUDITED = _claim_statements()
_READ_CLAIM = select(TASKS.c.status, TASKS.c.assignee).where(TASKS.c.id == bindparam("task_id"))
_COMPLETE = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("task_id"), TASKS.c.status == TaskStatus.OPEN,
           TASKS.c.assignee == bindparam("actor"))
    .values(status=TaskStatus.COMPLETED, completed_at=bindparam("now", type_=TASKS.c.completed_at.type),
            completed_by=bindparam("actor"), data=bindparam("data", type_=TASKS.c.data.type))
)


def claim_row(session: Session, task_id: int, actor: Actor, now: datetime) -> HumanTask | None:
    """Claim the task for ``actor`` if it is open, unclaimed and offered to them, and audit it.

    None when the claim was refused (the caller reads the row to say why); nothing was written then.
    """
    params = {"task_id": task_id, "actor": actor.key, "now": now, "groups": sorted(actor.groups),
              "units": sorted(actor.units), "request_id": current_request_id()}
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # the audit entry in the same round trip
        row = connection.execute(_CLAIM_AUDITED, params).one_or_none()
        return None if row is None else as_loaded(session, HumanTask, row._asdict())
    row = connection.execute(_CLAIM, params).one_or_none()
    if row is None:
        return None
    record(session, at=now, actor=actor.key, action="claim", instance_id=row.instance_id, task_id=row.id,
           bpmn_id=row.bpmn_id)
    return as_loaded(session, HumanTask, row._asdict())


def read_claim(session: Session, task: HumanTask) -> None:
    """Read the task's status and holder afresh into ``task`` (under the instance's lock)."""
    status, assignee = session.connection().execute(_READ_CLAIM, {"task_id": task.id}).one()
    set_committed_value(task, "status", status)
    set_committed_value(task, "assignee", assignee)


def complete_row(session: Session, task: HumanTask, actor: Actor, now: datetime, data: dict[str, Any]) -> bool:
    """Mark the task completed by ``actor`` if it is still open and theirs; whether it was."""
    result = session.connection().execute(
        _COMPLETE, {"task_id": task.id, "actor": actor.key, "now": now, "data": data}
    )
    if result.rowcount != 1:
        return False
    values = {"status": TaskStatus.COMPLETED, "completed_at": now, "completed_by": actor.key, "data": data}
    for name, value in values.items():
        set_committed_value(task, name, value)
    return True

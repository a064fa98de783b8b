"""Handing an open task to another person (转办): one conditional UPDATE, audited.

The engine only moves the task and records who did it and why; who may reassign
and to whom is the domain's rule (``workflows.reassign``), since the engine knows
no roles beyond an actor's groups and units.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from .actor import Actor
from .audit import record
from .errors import ConflictError, NotFound, TaskStateError
from .errors import conflicts as _conflicts
from .models import HumanTask, TaskStatus, check_open, column_length
from .payload import text_fault

# Longest reason kept in the audit log; the domain checks it first with a friendlier message.
MAX_REASON = 500
ASSIGNEE_MAX = column_length(HumanTask, "assignee")


def reassign(
    session: Session, task_id: int, new_assignee: str, actor: Actor, reason: str, *, at: datetime
) -> HumanTask:
    """Make ``new_assignee`` the holder of open task ``task_id``, as if they had claimed it at ``at``.

    The task may be unclaimed or held by someone else. One conditional UPDATE on the
    holder read here decides a race: a claim, release or reassignment that got there
    first gives ``ConflictError``, a completion or cancellation ``TaskStateError``.
    Audited as ``reassign`` with the previous and new holder and the reason.
    """
    _check_input(task_id, new_assignee, reason)
    with _conflicts():
        task = session.get(HumanTask, task_id)
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        check_open(task)
        previous = task.assignee
        if previous == new_assignee:
            raise TaskStateError(f"task {task_id} is already held by {new_assignee}")
        same_holder = HumanTask.assignee.is_(None) if previous is None else HumanTask.assignee == previous
        result = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN, same_holder)
            .values(assignee=new_assignee, claimed_at=at)
            .execution_options(synchronize_session=False)
        )
        session.refresh(task)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            # Only a refusal says why: a finished task, or a rival's claim or release meanwhile.
            check_open(task)
            raise ConflictError(f"task {task_id} changed while being reassigned; reload it")
        record(session, at=at, actor=actor.key, action="reassign", instance_id=task.instance_id,
               task_id=task.id, bpmn_id=task.bpmn_id,
               detail={"from": previous, "to": new_assignee, "reason": reason})
        session.flush()
    return task


def _check_input(task_id: int, new_assignee: str, reason: str) -> None:
    if not new_assignee or len(new_assignee) > ASSIGNEE_MAX or text_fault(new_assignee) is not None:
        raise TaskStateError(f"task {task_id}: the new holder must be a login of at most {ASSIGNEE_MAX} characters")
    if not reason.strip():
        raise TaskStateError(f"task {task_id}: a reason is required to reassign it")
    if len(reason) > MAX_REASON:
        raise TaskStateError(f"task {task_id}: the reason is longer than {MAX_REASON} characters")
    fault = text_fault(reason)
    if fault is not None:
        raise TaskStateError(f"task {task_id}: the reason {fault}")

"""Claiming and releasing a task from the inbox: one click, and a plain answer either way.

The engine decides (one conditional UPDATE, one winner); this module turns its refusals into
messages a person can act on — above all "already claimed by 李四", with the winner's name —
instead of error pages. Each attempt runs in a savepoint, so a refusal leaves the request's
transaction as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, ConflictError, HumanTask, NotAllowed, NotFound, TaskStateError, TaskStatus, WorkflowEngine

from .errors import Message
from .inbox import split_name
from .models import Person


@dataclass(frozen=True)
class ClaimOutcome:
    """What came of a claim or a release: whether it happened, and what to tell the person."""

    done: bool
    message: Message


def claim_task(session: Session, engine: WorkflowEngine, task_id: int, actor: Actor) -> ClaimOutcome:
    """Claim ``task_id`` for ``actor``; a refusal is an outcome with the reason, not an exception."""
    return _attempt(session, lambda: engine.claim(session, task_id, actor),
                    lambda exc: _claim_refusal(session, task_id, actor, exc),
                    Message("inbox.claimed", "Claimed: {step}. It is now in your tasks."))


def unclaim_task(session: Session, engine: WorkflowEngine, task_id: int, actor: Actor) -> ClaimOutcome:
    """Give ``task_id`` back to its candidates; only its holder may."""
    return _attempt(session, lambda: engine.unclaim(session, task_id, actor),
                    lambda exc: _unclaim_refusal(session, task_id, actor, exc),
                    Message("inbox.unclaimed", "Released: {step}. Others may claim it now."))


def _attempt(session: Session, run: Callable[[], HumanTask], refusal: Callable[[Exception], Message],
             success: Message) -> ClaimOutcome:
    """Run ``run`` in a savepoint, so a refusal leaves the transaction as it was; the refusal becomes
    ``refusal(exc)``, success the ``success`` message naming the task's step."""
    try:
        with session.begin_nested():
            task = run()
    except (TaskStateError, NotAllowed, NotFound, ConflictError) as exc:
        return ClaimOutcome(False, refusal(exc))
    return ClaimOutcome(True, replace(success, params={"step": _step(task)}))


def _claim_refusal(session: Session, task_id: int, actor: Actor, exc: Exception) -> Message:
    task = _still_open(session, task_id, exc)
    if isinstance(task, Message):
        return task
    if task.assignee == actor.key:
        return Message("inbox.already_yours", "You have already claimed this task.")
    if task.assignee is not None:
        return Message("inbox.claim_lost", "Already claimed by {name}.", {"name": holder_name(session, task.assignee)})
    return Message("inbox.claim_not_allowed", "This task is not offered to you, so you cannot claim it.")


def _unclaim_refusal(session: Session, task_id: int, actor: Actor, exc: Exception) -> Message:
    task = _still_open(session, task_id, exc)
    if isinstance(task, Message):
        return task
    if task.assignee is None:
        return Message("inbox.not_claimed", "Nobody holds this task; there is nothing to release.")
    return Message("inbox.unclaim_not_yours", "{name} holds this task; only they can release it.",
                   {"name": holder_name(session, task.assignee)})


def _still_open(session: Session, task_id: int, exc: Exception) -> HumanTask | Message:
    """The task as it is now, or the message for a refusal that is not about who holds it
    (a concurrent change, or a task that no longer waits for anyone)."""
    if isinstance(exc, ConflictError):
        return Message("inbox.busy", "Someone else changed this task at the same time; try again.")
    task = session.get(HumanTask, task_id, populate_existing=True)
    gone = _gone(task)
    if gone is not None:
        return gone
    assert task is not None
    return task


def _gone(task: HumanTask | None) -> Message | None:
    """The message for a task that no longer waits for anyone, else None."""
    if task is None:
        return Message("inbox.task_missing", "This task does not exist.")
    if task.status == TaskStatus.COMPLETED:
        return Message("inbox.task_completed", "This task has already been completed.")
    if task.status == TaskStatus.CANCELLED:
        return Message("inbox.task_cancelled", "This task was cancelled: the process has moved on.")
    return None


def holder_name(session: Session, login: str) -> str:
    """The name of the person with ``login`` (the login itself if no such person exists)."""
    return session.scalar(select(Person.name).where(Person.login == login)) or login


def _step(task: HumanTask) -> str:
    zh, en = split_name(task.name)
    return zh or en or task.name

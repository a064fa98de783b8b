"""Reassigning an open task to another person (转办): who may, to whom, and why.

Who may reassign: an administrator, or a leader of the unit the task is offered to
(its ``candidate_unit`` is the leader's unit). Supervision may not: the issue gives
the power to "a leader of the unit or an admin", and supervision verifies the units'
work rather than distributing it. Officers may not either (they claim and release).

To whom: an active person who could claim the task themselves (the engine's candidate
rule, ``task_is_claimable_by``) — an officer task goes to an officer of its unit, a task
named for one leader only to that leader. A reason is required and kept in the audit log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, NotAllowed, NotFound, TaskStatus, WorkflowEngine
from engine.models import task_is_claimable_by
from engine.payload import text_fault
from engine.reassign import MAX_REASON

from .errors import Message, ValidationError
from .models import Person, Role, Unit
from .people import active_person_by_login, actor_for

__all__ = ["MAX_REASON", "MESSAGES", "eligible_assignees", "may_reassign", "reassign_task"]

# Message keys and their English (the command line's words); the web says them in the reader's language.
MESSAGES: dict[str, str] = {
    "reassign.reason_required": "a reason is required to reassign a task",
    "reassign.reason_too_long": "the reason must have at most {max} characters",
    "reassign.reason_unstorable": "the reason contains characters that cannot be stored",
    "reassign.target_required": "choose the person to hand the task to",
    "reassign.no_such_person": "no active person with login '{login}'",
    "reassign.already_holder": "{name} already holds this task",
    "reassign.not_eligible": "{name} cannot work on this task: only someone who could claim it may take it",
}


def may_reassign(actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` may hand ``task`` to someone else (an admin, or a leader of its unit)."""
    if Role.ADMIN.value in actor.groups:
        return True
    return (Role.LEADER.value in actor.groups and task.candidate_unit is not None
            and task.candidate_unit in actor.units)


def eligible_assignees(session: Session, task: HumanTask) -> list[Person]:
    """The active people ``task`` could be handed to: those who could claim it, but not its holder.

    Empty for a task that is no longer open.
    """
    if task.status != TaskStatus.OPEN:
        return []
    query = select(Person).where(Person.active.is_(True))
    # Narrow in SQL where the rule allows it; the candidate rule itself decides below.
    if task.candidate_user is not None:
        query = query.where(Person.login == task.candidate_user)
    elif task.candidate_unit is not None:
        query = query.join(Person.unit).where(Unit.code == task.candidate_unit)
    people = [
        person for person in session.scalars(query)
        if person.login != task.assignee and _could_work_on(person, task)
    ]
    return sorted(people, key=lambda p: (p.unit.code if p.unit else "", p.name, p.login))


def reassign_task(
    session: Session,
    engine: WorkflowEngine,
    task_id: int,
    actor: Person | Actor,
    to_login: str,
    reason: str,
) -> HumanTask:
    """Hand open task ``task_id`` to the person ``to_login`` with a ``reason``; returns the task.

    ``NotFound`` for a missing task, ``NotAllowed`` for someone who may not reassign it,
    ``ValidationError`` (nothing written) for a missing or unusable reason or a person who
    could not work on the task, and the engine's ``TaskStateError`` / ``ConflictError`` for a
    task no longer open or changed meanwhile.
    """
    acting = actor_for(actor) if isinstance(actor, Person) else actor
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    if not may_reassign(acting, task):
        raise NotAllowed(f"{acting.key} may not reassign task {task_id} ({task.name})")
    reason = _checked_reason(reason)
    target = _checked_target(session, task, to_login)
    return engine.reassign(session, task_id, target.login, acting, reason)


def _could_work_on(person: Person, task: HumanTask) -> bool:
    candidate = actor_for(person)
    return task_is_claimable_by(task, candidate.key, candidate.groups, candidate.units)


def _refusal(key: str, **params: object) -> ValidationError:
    return ValidationError(Message(key, MESSAGES[key], params))


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refusal("reassign.reason_required")
    if len(reason) > MAX_REASON:
        raise _refusal("reassign.reason_too_long", max=MAX_REASON)
    if text_fault(reason) is not None:
        raise _refusal("reassign.reason_unstorable")
    return reason


def _checked_target(session: Session, task: HumanTask, to_login: str) -> Person:
    to_login = (to_login or "").strip()
    if not to_login:
        raise _refusal("reassign.target_required")
    person = active_person_by_login(session, to_login)
    if person is None:
        raise _refusal("reassign.no_such_person", login=to_login)
    if person.login == task.assignee:
        raise _refusal("reassign.already_holder", name=person.name)
    if not _could_work_on(person, task):
        raise _refusal("reassign.not_eligible", name=person.name)
    return person

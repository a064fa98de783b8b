"""Who may see a task (its page, its history, its evidence): one rule for pages, downloads and the API.

Claiming and completing have their own, stricter rules in the engine (candidate rule, claimant).
Seeing is wider, because people need the history of the problems they work on:

* supervision and administrators see every task;
* a person sees a task they hold, did, or may claim;
* a person sees every task of a problem's lifecycle they have taken part in (held, done, or named
  as its ``candidate_user``) — an officer sees the leader's return reason, the leader the officer's
  submission;
* a person sees the tasks offered to their unit.

Everything else is refused (deny by default), the same answer as a task that does not exist.
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask
from engine.models import task_is_claimable_by

from .models import Role

SEE_ALL = frozenset({Role.SUPERVISION.value, Role.ADMIN.value})


def can_view_task(session: Session, actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` may see ``task`` and its problem's history and evidence."""
    if actor.groups & SEE_ALL:
        return True
    if actor.key in (task.assignee, task.completed_by, task.candidate_user):
        return True
    if task.candidate_unit is not None and task.candidate_unit in actor.units:
        return True
    if task_is_claimable_by(task, actor.key, actor.groups, actor.units):
        return True
    return bool(session.scalar(select(exists().where(
        HumanTask.instance_id == task.instance_id,
        or_(HumanTask.assignee == actor.key, HumanTask.completed_by == actor.key,
            HumanTask.candidate_user == actor.key),
    ))))

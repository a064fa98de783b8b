"""Inbox queries over ``human_task``: one indexed query, no workflow is deserialised."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from .actor import Actor
from .models import HumanTask, TaskStatus


def candidate_condition(actor: Actor) -> ColumnElement[bool]:
    """SQL for "the actor is a candidate for this task" (``task_is_claimable_by`` in SQL)."""
    by_group = and_(
        HumanTask.candidate_user.is_(None),
        HumanTask.candidate_group.in_(sorted(actor.groups)),
        or_(HumanTask.candidate_unit.is_(None), HumanTask.candidate_unit.in_(sorted(actor.units))),
    )
    return or_(HumanTask.candidate_user == actor.key, by_group)


def tasks_for_query(actor: Actor, *, include_claimable: bool = True) -> Select[tuple[HumanTask]]:
    """Open tasks the actor holds, plus (by default) those the actor may claim."""
    mine = HumanTask.assignee == actor.key
    if not include_claimable:
        condition = mine
    else:
        condition = or_(mine, and_(HumanTask.assignee.is_(None), candidate_condition(actor)))
    return (
        select(HumanTask)
        .where(HumanTask.status == TaskStatus.OPEN, condition)
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    )


def tasks_for(session: Session, actor: Actor, *, include_claimable: bool = True, limit: int = 500) -> list[HumanTask]:
    """The actor's inbox, soonest due first."""
    return list(session.scalars(tasks_for_query(actor, include_claimable=include_claimable).limit(limit)))

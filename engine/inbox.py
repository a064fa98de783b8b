"""Inbox queries over ``human_task``: one indexed query, no workflow is deserialised."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select, text, union_all
from sqlalchemy.orm import Session

from .actor import Actor
from .models import _CLAIMABLE, _CLAIMABLE_BY_GROUP, _OPEN, HumanTask


def candidate_condition(actor: Actor) -> ColumnElement[bool]:
    """SQL for "the actor is a candidate for this task" (``task_is_claimable_by`` in SQL)."""
    by_group = and_(
        HumanTask.candidate_user.is_(None),
        HumanTask.candidate_group.in_(sorted(actor.groups)),
        or_(HumanTask.candidate_unit.is_(None), HumanTask.candidate_unit.in_(sorted(actor.units))),
    )
    return or_(HumanTask.candidate_user == actor.key, by_group)


def tasks_for_query(actor: Actor, *, include_claimable: bool = True) -> Select[tuple[HumanTask]]:
    """Open tasks the actor holds, plus (by default) those the actor may claim.

    A union of narrow lookups, each a seek in its own partial index (see
    ``HumanTask``): one OR over them would make the database scan every open task.
    """
    parts = [select(HumanTask.id).where(text(_OPEN), HumanTask.assignee == actor.key)]
    if include_claimable:
        parts.append(select(HumanTask.id).where(text(_CLAIMABLE), HumanTask.candidate_user == actor.key))
        if actor.groups:
            in_groups = HumanTask.candidate_group.in_(sorted(actor.groups))
            # Unit-less group tasks and the actor's units' tasks apart: each then seeks on both columns.
            parts.append(select(HumanTask.id).where(text(_CLAIMABLE_BY_GROUP), in_groups,
                                                    HumanTask.candidate_unit.is_(None)))
            if actor.units:
                parts.append(select(HumanTask.id).where(text(_CLAIMABLE_BY_GROUP), in_groups,
                                                        HumanTask.candidate_unit.in_(sorted(actor.units))))
    ids = union_all(*parts) if len(parts) > 1 else parts[0]
    return (
        select(HumanTask)
        .where(HumanTask.id.in_(ids))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    )


def tasks_for(session: Session, actor: Actor, *, include_claimable: bool = True, limit: int = 500) -> list[HumanTask]:
    """The actor's inbox, soonest due first."""
    return list(session.scalars(tasks_for_query(actor, include_claimable=include_claimable).limit(limit)))

"""Inbox queries over ``human_task``: indexed lookups, no workflow is deserialised.

Each lookup states the terms of one partial index's predicate (``HumanTask``) as written, so
SQLite and PostgreSQL both seek in that index rather than scan the tasks; the tabs of the web
inbox (held, claimable, done) are these lookups.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, or_, select, text, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement

from .actor import Actor
from .models import _CLAIMABLE, _CLAIMABLE_BY_GROUP, _DONE, _OPEN, HumanTask

# The ids of a set of tasks: a plain select or a union of selects.
TaskIds = Select[tuple[int]] | CompoundSelect


def candidate_condition(actor: Actor) -> ColumnElement[bool]:
    """SQL for "the actor is a candidate for this task" (``task_is_claimable_by`` in SQL)."""
    by_group = and_(
        HumanTask.candidate_user.is_(None),
        HumanTask.candidate_group.in_(sorted(actor.groups)),
        or_(HumanTask.candidate_unit.is_(None), HumanTask.candidate_unit.in_(sorted(actor.units))),
    )
    return or_(HumanTask.candidate_user == actor.key, by_group)


class likely(FunctionElement[bool]):  # noqa: N801  (named as the SQL function it renders)
    """A condition that holds for most rows: ``likely(...)`` on SQLite, the bare condition elsewhere."""

    name = "likely"
    inherit_cache = True


@compiles(likely)
def _bare_condition(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(likely, "sqlite")
def _sqlite_likely(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def _claimable(predicate: str) -> list[ColumnElement[bool] | TextClause]:
    """The terms of a claimable index's predicate, ``assignee IS NULL`` marked likely.

    SQLite keeps no statistics of values: from its ANALYZE figures ``assignee IS NULL`` looks as
    selective as ``assignee = 'someone'``, and it would read every unclaimed task through the
    assignee index. Marked likely, the term still qualifies the partial index (SQLite looks
    through ``likely``) but is no longer taken for a seek. PostgreSQL sees the plain condition.
    """
    return [likely(text(term)) if term == "assignee IS NULL" else text(term) for term in predicate.split(" AND ")]


def held_ids(actor: Actor) -> Select[tuple[int]]:
    """Ids of the open tasks the actor has claimed (a seek in ``ix_human_task_open_assignee``)."""
    return select(HumanTask.id).where(text(_OPEN), HumanTask.assignee == actor.key)


def claimable_ids(actor: Actor) -> TaskIds:
    """Ids of the open, unclaimed tasks the actor may claim.

    A union of narrow lookups, each a seek in its own partial index: one OR over them
    would make the database scan every open task.
    """
    parts = _claimable_parts(actor)
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _claimable_parts(actor: Actor) -> list[Select[tuple[int]]]:
    parts = [select(HumanTask.id).where(*_claimable(_CLAIMABLE), HumanTask.candidate_user == actor.key)]
    if actor.groups:
        in_groups = HumanTask.candidate_group.in_(sorted(actor.groups))
        # Unit-less group tasks and the actor's units' tasks apart: each then seeks on both columns.
        parts.append(select(HumanTask.id).where(*_claimable(_CLAIMABLE_BY_GROUP), in_groups,
                                                HumanTask.candidate_unit.is_(None)))
        if actor.units:
            parts.append(select(HumanTask.id).where(*_claimable(_CLAIMABLE_BY_GROUP), in_groups,
                                                    HumanTask.candidate_unit.in_(sorted(actor.units))))
    return parts


def done_ids(actor: Actor) -> Select[tuple[int]]:
    """Ids of the tasks the actor completed (a seek in ``ix_human_task_done``)."""
    return select(HumanTask.id).where(text(_DONE), HumanTask.completed_by == actor.key)


def held_count(session: Session, actor: Actor) -> int:
    """How many open tasks the actor holds: one count in a partial index (the navigation badge)."""
    return session.scalar(select(func.count()).select_from(held_ids(actor).subquery())) or 0


def tasks_for_query(actor: Actor, *, include_claimable: bool = True) -> Select[tuple[HumanTask]]:
    """Open tasks the actor holds, plus (by default) those the actor may claim, soonest due first."""
    # One flat union (SQLite refuses a parenthesised union inside another).
    ids: TaskIds = union_all(held_ids(actor), *_claimable_parts(actor)) if include_claimable else held_ids(actor)
    return (
        select(HumanTask)
        .where(HumanTask.id.in_(ids))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    )


def tasks_for(session: Session, actor: Actor, *, include_claimable: bool = True, limit: int = 500) -> list[HumanTask]:
    """The actor's inbox, soonest due first."""
    return list(session.scalars(tasks_for_query(actor, include_claimable=include_claimable).limit(limit)))

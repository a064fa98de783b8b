"""Inbox queries over ``human_task``: indexed lookups, no workflow is deserialised.

Each lookup states the terms of one partial index's predicate (``HumanTask``) as written, so
SQLite and PostgreSQL both seek in that index rather than scan the tasks; the tabs of the web
inbox (held, claimable, done) are these lookups.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    and_,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement

from .actor import Actor
from .models import _CLAIMABLE, _CLAIMABLE_BY_GROUP, _DONE, _OPEN, HumanTask

# The ids of a set of tasks: a plain select or a union of selects.
TaskIds = Select[tuple[int]] | CompoundSelect
# The terms of an ORDER BY.
Order = tuple[SQLColumnExpression[Any], ...]


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


# Above this many (group, unit) pairs an actor's group tasks are one lookup over all the units
# rather than one ordered lookup per pair: the statement would grow more than the seeks save.
MAX_UNIT_LOOKUPS = 32


def tasks_for_query(actor: Actor, *, include_claimable: bool = True, limit: int = 500) -> Select[tuple[HumanTask]]:
    """The first ``limit`` open tasks the actor holds or (by default) may claim, soonest due first.

    However many tasks are offered to the actor, each lookup (held, named, a group without
    unit, a group in one unit) gives only its soonest ``limit`` ids, the soonest ``limit`` of
    those are picked, and only then are whole rows read. A lookup whose partial index goes on
    to ``due_at`` reads its ids in due order and stops; any other sorts its own tasks (never
    the whole table's: see :func:`_sorted`).
    """
    return _tasks_for_query(actor, include_claimable, limit, _index_prefixes())


# Statements are kept per actor: building one and its cache key cost as much as running it.
@functools.lru_cache(maxsize=1024)
def _tasks_for_query(actor: Actor, include_claimable: bool, limit: int,
                     in_due_order: frozenset[tuple[str, ...]]) -> Select[tuple[HumanTask]]:
    parts = []
    for lookup, fixed in _lookups(actor, include_claimable):
        seek = fixed is not None and fixed in in_due_order
        order = _soonest(HumanTask.due_at, HumanTask.id) if seek else _sorted(HumanTask.due_at, HumanTask.id)
        sub = lookup.order_by(*order).limit(limit).subquery()
        parts.append(select(sub.c.id, sub.c.due_at))  # a subquery: SQLite orders no member of a union
    picked = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("picked")
    ids = select(picked.c.id).order_by(*_soonest(picked.c.due_at, picked.c.id)).limit(limit)
    return select(HumanTask).where(HumanTask.id.in_(ids)).order_by(*_soonest(HumanTask.due_at, HumanTask.id))


@functools.cache
def _index_prefixes() -> frozenset[tuple[str, ...]]:
    """The columns before ``due_at`` in each index of ``human_task`` that has it after others (read once)."""
    prefixes = set()
    for index in HumanTask.metadata.tables[HumanTask.__tablename__].indexes:
        names = [column.name for column in index.columns]
        if "due_at" in names[1:]:
            prefixes.add(tuple(names[:names.index("due_at")]))
    return frozenset(prefixes)


def _soonest(due_at: SQLColumnExpression[Any], task_id: SQLColumnExpression[int]) -> Order:
    # PostgreSQL's own ascending order puts NULLs last: an index on (..., due_at, id) serves it.
    return due_at.asc().nulls_last(), task_id


def _sorted(due_at: SQLColumnExpression[Any], task_id: SQLColumnExpression[int]) -> Order:
    """The same order, in terms no index provides, so the database sorts the lookup's own rows.

    Given an order it could read from the ``due_at`` index, PostgreSQL may walk that index over
    every task ever made, filtering, until it has ``limit`` matches: counting the unit-less officer
    tasks (there are none) as officers x unit-less tasks, it did so for 400,000 rows (a second).
    """
    return due_at.is_(None), due_at, task_id


def _lookups(actor: Actor, include_claimable: bool) -> list[tuple[Select[tuple[int, Any]], tuple[str, ...] | None]]:
    """The actor's lookups, each with the columns it fixes to one value (None: not all to one value)."""
    columns = (HumanTask.id, HumanTask.due_at)
    lookups: list[tuple[Select[tuple[int, Any]], tuple[str, ...] | None]] = [
        (select(*columns).where(text(_OPEN), HumanTask.assignee == actor.key), ("assignee",))]
    if not include_claimable:
        return lookups
    lookups.append((select(*columns).where(*_claimable(_CLAIMABLE), HumanTask.candidate_user == actor.key),
                    ("candidate_user",)))
    by_group = _claimable(_CLAIMABLE_BY_GROUP)
    per_unit = len(actor.groups) * len(actor.units) <= MAX_UNIT_LOOKUPS
    for group in sorted(actor.groups):
        in_group = HumanTask.candidate_group == group
        # IS NULL fixes no column for PostgreSQL's ordering: only an index of unit-less tasks helps.
        lookups.append((select(*columns).where(*by_group, in_group, HumanTask.candidate_unit.is_(None)),
                        ("candidate_group",)))
        if actor.units and not per_unit:
            in_units = HumanTask.candidate_unit.in_(sorted(actor.units))
            lookups.append((select(*columns).where(*by_group, in_group, in_units), None))
        elif actor.units:
            lookups += [(select(*columns).where(*by_group, in_group, HumanTask.candidate_unit == unit),
                         ("candidate_group", "candidate_unit")) for unit in sorted(actor.units)]
    return lookups


def tasks_for(session: Session, actor: Actor, *, include_claimable: bool = True, limit: int = 500) -> list[HumanTask]:
    """The actor's inbox, soonest due first: at most ``limit`` tasks (:func:`tasks_for_query`)."""
    return list(session.scalars(tasks_for_query(actor, include_claimable=include_claimable, limit=limit)))

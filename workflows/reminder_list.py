"""A person's reminders: the list (newest or unread first), the unread count, marking read, and where
each reminder leads (the task page of its item, if the person may see one).

A person only ever reads their own reminders: every query here is by recipient, and marking
someone else's reminder read is refused as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, TaskStatus

from .errors import NotFoundError
from .models import Problem, Reminder
from .task_access import can_view_task


def reminders_for(session: Session, login: str, *, unread_only: bool = False, unread_first: bool = False,
                  limit: int | None = None, offset: int = 0) -> list[Reminder]:
    """``login``'s reminders, newest first (unread ones first if ``unread_first``)."""
    query = select(Reminder).where(Reminder.recipient == login)
    if unread_only:
        query = query.where(Reminder.read_at.is_(None))
    order: list[ColumnElement[Any]] = [Reminder.created_at.desc(), Reminder.id.desc()]
    if unread_first:
        order.insert(0, Reminder.read_at.is_not(None))
    query = query.order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def reminder_counts(session: Session, login: str) -> tuple[int, int]:
    """(unread, all) reminders of ``login``: one query."""
    unread, total = session.execute(
        select(func.count(Reminder.id).filter(Reminder.read_at.is_(None)), func.count(Reminder.id))
        .where(Reminder.recipient == login)
    ).one()
    return int(unread or 0), int(total or 0)


def unread_count(session: Session, login: str) -> int:
    """How many of ``login``'s reminders are unread (one count in ``ix_reminder_inbox``): the header badge."""
    return session.scalar(select(func.count()).select_from(Reminder)
                          .where(Reminder.recipient == login, Reminder.read_at.is_(None))) or 0


def mark_read(session: Session, login: str, now: datetime, *, reminder_ids: Iterable[int] | None = None) -> int:
    """Mark ``login``'s unread reminders read (those of ``reminder_ids``, or all); returns how many.

    A named reminder that is not ``login``'s (or does not exist) is a ``NotFoundError``, and
    nothing is marked. Marking a read reminder again changes nothing.
    """
    condition = [Reminder.recipient == login, Reminder.read_at.is_(None)]
    if reminder_ids is not None:
        ids = sorted(set(reminder_ids))
        mine = set(session.scalars(select(Reminder.id).where(Reminder.recipient == login, Reminder.id.in_(ids))))
        if missing := [i for i in ids if i not in mine]:
            raise NotFoundError(f"no reminder {missing[0]} for {login}")
        condition.append(Reminder.id.in_(ids))
    result = session.execute(update(Reminder).where(*condition).values(read_at=now)
                             .execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


def reminder_links(session: Session, actor: Actor, reminders: Sequence[Reminder]) -> dict[int, int]:
    """Reminder id -> the task page it leads to: an open task of its item, else of its problem, else the
    item's or problem's latest task; only tasks ``actor`` may see (``task_access``). One query for the
    tasks, and at most one check per item."""
    problem_ids = {r.problem_id for r in reminders if r.problem_id is not None}
    if not problem_ids:
        return {}
    tasks: dict[int, list[HumanTask]] = {}
    query = (select(Problem.id, HumanTask).join(HumanTask, HumanTask.instance_id == Problem.instance_id)
             .where(Problem.id.in_(sorted(problem_ids))).order_by(HumanTask.id.desc()))
    for problem_id, task in session.execute(query).tuples():
        tasks.setdefault(problem_id, []).append(task)
    chosen: dict[tuple[int, str | None], int | None] = {}
    links: dict[int, int] = {}
    for reminder in reminders:
        if reminder.problem_id is None:
            continue
        key = (reminder.problem_id, reminder.item_key)
        if key not in chosen:
            chosen[key] = _first_visible(session, actor, _candidates(tasks.get(reminder.problem_id, []),
                                                                     reminder.item_key))
        if (task_id := chosen[key]) is not None:
            links[reminder.id] = task_id
    return links


def _candidates(tasks: list[HumanTask], item_key: str | None) -> list[HumanTask]:
    """The problem's tasks (newest first) in order of preference for a reminder about ``item_key``."""
    def rank(task: HumanTask) -> int:
        return (0 if task.status == TaskStatus.OPEN else 2) + (0 if task.item_key == item_key else 1)
    return sorted(tasks, key=rank)  # stable: newest first within a rank


def _first_visible(session: Session, actor: Actor, tasks: list[HumanTask]) -> int | None:
    # Seeing one task of a problem through having taken part in it means seeing them all, so the
    # first few candidates settle it; the cap keeps a long history from costing a check per task.
    for task in tasks[:4]:
        if can_view_task(session, actor, task):
            return task.id
    return None

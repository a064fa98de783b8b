"""The task inbox: my tasks, tasks I may claim and tasks I did, filtered, sorted and paged.

A page costs two queries whatever its length: the three tabs' counts in one statement, and the
page's rows with their problem, part, measure, units and holder joined. Which tasks belong to a
tab is decided by ``engine.inbox``'s indexed lookups; the rows are picked (filtered, sorted,
limited) on ``human_task`` first and only the page's rows are joined to the rest.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from engine import Actor, HumanTask, TaskStatus
from engine.inbox import TaskIds, claimable_ids, done_ids, held_ids

from .deadlines import china_date, has_deadline
from .inbox_filters import LEAD_UNIT, TASK_UNIT, InboxFilters, SelectT, conditions, join_problem
from .models import Measure, Part, Person, Problem
from .warnings import DeadlineWarning, warning_for

PER_PAGE = 20
MAX_PAGE = 10_000  # a page number beyond any real list; larger ones are clamped, not refused
MEASURE_PREVIEW = 60  # characters of a measure's text shown in a row

_HOLDER = aliased(Person, name="holder")
# A diagram names tasks "中文名 English name"; the Chinese is everything before the first Latin word.
_NAME = re.compile(r"^(?P<zh>[^A-Za-z]*?)\s*(?P<en>[A-Za-z].*)?$", re.DOTALL)


class Tab(enum.StrEnum):
    """The inbox's three lists."""

    MINE = "mine"  # 我的待办: open tasks I have claimed
    CLAIMABLE = "claimable"  # 可领取: open, unclaimed tasks offered to me, my group or my unit
    DONE = "done"  # 已办: tasks I completed


class Sort(enum.StrEnum):
    """The orders a list can be shown in."""

    DEADLINE = "deadline"  # soonest deadline first, no deadline last
    AGE = "age"  # longest waiting first
    RECENT = "recent"  # most recently completed first (the done tab's default)


def default_sort(tab: Tab) -> Sort:
    """The order a tab opens in: deadlines for work to do, the latest first for work done."""
    return Sort.RECENT if tab is Tab.DONE else Sort.DEADLINE


@dataclass(frozen=True)
class InboxQuery:
    """Which tab, filters, order and page a person asked for."""

    tab: Tab = Tab.MINE
    filters: InboxFilters = field(default_factory=InboxFilters)
    sort: Sort | None = None  # None: the tab's default
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def order(self) -> Sort:
        """The order in effect (the recent-first order belongs to the done tab only)."""
        if self.sort is None or (self.sort is Sort.RECENT and self.tab is not Tab.DONE):
            return default_sort(self.tab)
        return self.sort


@dataclass(frozen=True)
class InboxRow:
    """One task as a row of the inbox."""

    task_id: int
    step_zh: str  # the step's Chinese name from the diagram ("" if it has none)
    step_en: str
    stage: str | None
    problem_number: str | None  # "part.problem" as the ledger numbers it
    problem_title: str | None
    measure_number: int | None
    measure_text: str | None  # shortened
    unit_name: str | None  # the unit the task is offered to, else the problem's lead unit
    due_at: datetime | None
    due_date: date | None  # the deadline's date in China (None: no deadline)
    warning: DeadlineWarning
    holder_login: str | None
    holder_name: str | None
    created_at: datetime
    completed_at: datetime | None
    is_mine: bool  # open and claimed by the viewer: may be released (and done)
    claimable: bool  # open and unclaimed, offered to the viewer


@dataclass(frozen=True)
class InboxPage:
    """One page of one tab, with every tab's count."""

    query: InboxQuery
    rows: list[InboxRow]
    counts: dict[Tab, int]
    page: int  # the page shown (the asked one, clamped to the list)
    pages: int  # at least 1

    @property
    def total(self) -> int:
        """How many tasks the shown tab holds (after filters)."""
        return self.counts[self.query.tab]


def tab_ids(actor: Actor, tab: Tab) -> TaskIds:
    """The ids of the tasks in ``tab`` for ``actor`` (``engine.inbox``'s indexed lookups)."""
    if tab is Tab.MINE:
        return held_ids(actor)
    if tab is Tab.CLAIMABLE:
        return claimable_ids(actor)
    return done_ids(actor)


def inbox_page(session: Session, actor: Actor, query: InboxQuery, *, now: datetime, window_days: int) -> InboxPage:
    """The tab, page and rows ``query`` asks for, as ``actor`` sees them at ``now``."""
    filters = query.filters
    where = conditions(filters, now=now, window_days=window_days)
    counted = {tab: _count(actor, tab, filters, where) for tab in Tab}
    counts_row = session.execute(select(*counted.values())).one()
    counts = dict(zip(counted, (int(n or 0) for n in counts_row), strict=True))
    pages = max(1, -(-counts[query.tab] // query.per_page))
    page = min(max(1, query.page), pages)
    rows = _rows(session, actor, query, where, page=page, now=now, window_days=window_days)
    return InboxPage(query=query, rows=rows, counts=counts, page=page, pages=pages)


def _filtered(stmt: SelectT, actor: Actor, tab: Tab, filters: InboxFilters,
              where: list[ColumnElement[bool]]) -> SelectT:
    stmt = stmt.select_from(HumanTask)
    if filters.needs_problem:
        stmt = join_problem(stmt)
    return stmt.where(HumanTask.id.in_(tab_ids(actor, tab)), *where)


def _count(actor: Actor, tab: Tab, filters: InboxFilters, where: list[ColumnElement[bool]]) -> ColumnElement[int]:
    if not where:  # the lookups' own rows: the union's branches never overlap, so no re-reading by id
        return select(func.count()).select_from(tab_ids(actor, tab).subquery()).scalar_subquery()
    return _filtered(select(func.count()), actor, tab, filters, where).scalar_subquery()


def _order(sort: Sort) -> tuple[Any, ...]:
    if sort is Sort.AGE:
        return HumanTask.created_at, HumanTask.id
    if sort is Sort.RECENT:
        return HumanTask.completed_at.desc(), HumanTask.id.desc()
    return HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id


def _rows(session: Session, actor: Actor, query: InboxQuery, where: list[ColumnElement[bool]], *, page: int,
          now: datetime, window_days: int) -> list[InboxRow]:
    order = _order(query.order)
    # Pick the page's ids on human_task (and the problem only when a filter reads it) ...
    picked = (
        _filtered(select(HumanTask.id), actor, query.tab, query.filters, where)
        .order_by(*order).limit(query.per_page).offset((page - 1) * query.per_page)
        .subquery("picked")
    )
    # ... then join the rest to those rows only.
    stmt = join_problem(
        select(
            HumanTask.id, HumanTask.name, HumanTask.stage, HumanTask.status, HumanTask.due_at,
            HumanTask.assignee, HumanTask.created_at, HumanTask.completed_at,
            Part.ordinal, Problem.ordinal, Problem.title, Problem.long_term, Measure.ordinal, Measure.text,
            TASK_UNIT.name, LEAD_UNIT.name, _HOLDER.name,
        ).select_from(HumanTask).join(picked, picked.c.id == HumanTask.id)
    )
    stmt = (
        stmt.outerjoin(TASK_UNIT, TASK_UNIT.code == HumanTask.candidate_unit)
        .outerjoin(_HOLDER, _HOLDER.login == HumanTask.assignee)
        .order_by(*order)
    )
    rows = []
    for (task_id, name, stage, status, due_at, assignee, created_at, completed_at, part_ordinal, problem_ordinal,
         problem_title, long_term, measure_ordinal, measure_text, task_unit, lead_unit, holder_name
         ) in session.execute(stmt).tuples():
        step_zh, step_en = split_name(name)
        is_open = status == TaskStatus.OPEN
        rows.append(InboxRow(
            task_id=task_id, step_zh=step_zh, step_en=step_en, stage=stage,
            problem_number=f"{part_ordinal}.{problem_ordinal}" if problem_ordinal is not None else None,
            problem_title=problem_title, measure_number=measure_ordinal,
            measure_text=shorten(measure_text, MEASURE_PREVIEW) if measure_text else None,
            unit_name=task_unit or lead_unit, due_at=due_at,
            due_date=china_date(due_at) if due_at is not None and has_deadline(due_at) else None,
            warning=warning_for(due_at, now, window_days=window_days, long_term=bool(long_term)),
            holder_login=assignee, holder_name=holder_name or assignee,
            created_at=created_at, completed_at=completed_at,
            is_mine=is_open and assignee == actor.key, claimable=is_open and assignee is None,
        ))
    return rows


def split_name(name: str) -> tuple[str, str]:
    """A diagram's task name split into its Chinese and English parts (``"报送整改进展 Submit"``)."""
    match = _NAME.match(name.strip())
    if match is None:  # Latin words before Chinese ones: no split to trust
        return "", name.strip()
    return match["zh"].strip(), (match["en"] or "").strip()


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

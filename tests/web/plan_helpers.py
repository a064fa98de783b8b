"""A running plan for web tests: the real diagram, committed, with officers, leaders and supervision.

``running_plan`` launches ``tests/workflows/plan_fixtures.small_plan`` (two parts, four problems of
units U1 综治科 and U2 办公室, one long-term) in a committed transaction and adds the people who
work on it. Helpers act as those people directly through the engine (a rival's claim, a finished
step), so a test can set the scene and then look at what the browser shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import HumanTask, TaskStatus, WorkflowEngine
from engine.clock import Clock
from workflows.models import Part, Role
from workflows.people import actor_by_login, create_person, person_by_login, unit_by_code
from workflows.plans import add_measure, add_problem, launch

from ..workflows.plan_fixtures import ADMIN, small_plan
from .conftest import PASSWORD

# login -> (name, roles, unit code); leader1 李书记 and leader2 陈副书记 come with the plan.
PEOPLE: dict[str, tuple[str, tuple[Role, ...], str | None]] = {
    "officer1": ("王晓明", (Role.OFFICER,), "U1"),
    "officer3": ("孙丽", (Role.OFFICER,), "U1"),  # a colleague in the same unit: a claim rival
    "officer2": ("赵敏", (Role.OFFICER,), "U2"),
    "ducha": ("周督查", (Role.SUPERVISION,), None),
}


@dataclass(frozen=True)
class RunningPlan:
    """Ids of what ``running_plan`` made (the rows themselves belong to a closed session)."""

    round_id: int
    part_ids: tuple[int, int]  # 党的领导方面, 全面从严治党方面
    studying_id: int  # 1.1 理论学习不够深入: two measures of U1 (due 2026-03-31 and 2026-06-30)
    ideology_id: int  # 1.2 意识形态责任制虚化: long-term, one measure of U1 without a deadline
    finance_id: int  # 2.1 财务管理不规范: one measure of U2 (due 2026-02-28)
    secret_id: int  # 2.2 涉及在办案件的问题: one measure of U2 (due 2026-02-28)


def running_plan(sessions: sessionmaker[Session], clock: Clock) -> RunningPlan:
    """Deploy the diagram, launch the small plan at ``clock()`` and add the people, all committed."""
    with sessions.begin() as session:
        plan = small_plan(session, WorkflowEngine(clock=clock))
        for login, (name, roles, unit_code) in PEOPLE.items():
            unit = unit_by_code(session, unit_code) if unit_code else None
            create_person(session, login=login, name=name, password=PASSWORD, roles=roles, unit=unit)
        parts = plan.round.parts
        return RunningPlan(plan.round.id, (parts[0].id, parts[1].id), plan.studying.id, plan.ideology.id,
                           plan.finance.id, plan.secret.id)


def add_running_problem(sessions: sessionmaker[Session], clock: Clock, plan: RunningPlan, *, title: str,
                        measures: int, unit: str = "U1", deadline: date | None = date(2026, 9, 30)) -> int:
    """A further problem in the plan's second part, with ``measures`` measures of ``unit``, launched; its id."""
    with sessions.begin() as session:
        part = session.get(Part, plan.part_ids[1])
        leader = person_by_login(session, "leader1")
        unit_row = unit_by_code(session, unit)
        assert part is not None and leader is not None and unit_row is not None
        problem = add_problem(session, part, title, leader=leader, lead_unit=unit_row)
        for n in range(1, measures + 1):
            add_measure(session, problem, f"{title}：第{n}项措施", deadline=deadline, units=[unit_row])
        launch(session, WorkflowEngine(clock=clock), part.round, ADMIN)
        return problem.id


def open_tasks(sessions: sessionmaker[Session], *, stage: str | None = None, unit: str | None = None,
               assignee: str | None = None) -> list[HumanTask]:
    """Open tasks, oldest first, optionally of one stage, offered to one unit, or held by one login."""
    query = select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)
    if stage is not None:
        query = query.where(HumanTask.stage == stage)
    if unit is not None:
        query = query.where(HumanTask.candidate_unit == unit)
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    with sessions() as session:
        return list(session.scalars(query.order_by(HumanTask.id)))


def claim_as(sessions: sessionmaker[Session], clock: Clock, task_id: int, login: str) -> None:
    """``login`` claims the task (committed), as if in another browser."""
    with sessions.begin() as session:
        WorkflowEngine(clock=clock).claim(session, task_id, actor_by_login(session, login))


def complete_as(sessions: sessionmaker[Session], clock: Clock, task_id: int, login: str, **data: Any) -> None:
    """``login`` claims (if needed) and completes the task with ``data`` (committed)."""
    with sessions.begin() as session:
        engine = WorkflowEngine(clock=clock)
        actor = actor_by_login(session, login)
        task = session.get(HumanTask, task_id)
        assert task is not None
        if task.assignee is None:
            engine.claim(session, task_id, actor)
        engine.complete(session, task_id, actor, data)

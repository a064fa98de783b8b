"""A launched small plan with the people who work it, and the readers of what users see afterwards:
the ledger rows, the Excel file's 整改时限 column and the plain-text report."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, TaskStatus, WorkflowEngine
from workflows import tasks as task_service
from workflows.deadlines import china_date
from workflows.ledger import LedgerRow, export_ledger, ledger_rows
from workflows.models import DeadlineChange, Measure, Problem, Role
from workflows.people import actor_for, create_person
from workflows.report import build_report, render_markdown, render_text

from .plan_fixtures import PASSWORD, SmallPlan, small_plan

REPORT_DAY = date(2026, 2, 1)


@dataclass
class World:
    """The small plan (``studying``: 1.1.1 due 2026-03-31, 1.1.2 due 2026-06-30, leader1 李书记) and
    its officer (张干事, unit U1), supervisor (王督查) and leaders as the engine sees them."""

    plan: SmallPlan
    officer: Actor
    supervisor: Actor
    leader: Actor  # leader1 李书记, responsible for 1.1 and 1.2
    other_leader: Actor  # leader2 陈副书记, responsible for 2.1 and 2.2


def make_world(session: Session, engine: WorkflowEngine) -> World:
    plan = small_plan(session, engine)
    officer = create_person(session, login="officer1", name="张干事", password=PASSWORD, roles=[Role.OFFICER],
                            unit=plan.security)
    supervisor = create_person(session, login="sup1", name="王督查", password=PASSWORD, roles=[Role.SUPERVISION])
    return World(plan, actor_for(officer), actor_for(supervisor), actor_for(plan.leader),
                 actor_for(plan.other_leader))


def open_tasks(session: Session, problem: Problem, stage: str | None = None) -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.instance_id == problem.instance_id,
                                    HumanTask.status == TaskStatus.OPEN)
    if stage is not None:
        query = query.where(HumanTask.stage == stage)
    return list(session.scalars(query.order_by(HumanTask.id)))


def do(session: Session, engine: WorkflowEngine, problem: Problem, stage: str, actor: Actor, **data: Any) -> None:
    """Claim and complete, through the domain's task service, every open task of ``stage``."""
    tasks = open_tasks(session, problem, stage)
    assert tasks, f"no open {stage} task"
    for task in tasks:
        task_service.claim(session, engine, task.id, actor)
        task_service.complete(session, engine, task.id, actor, data)


def finish_measures(session: Session, engine: WorkflowEngine, world: World, problem: Problem) -> None:
    do(session, engine, problem, "measure_submit", world.officer, progress="已落实")
    do(session, engine, problem, "measure_approve", world.leader, review_decision="approve")


def task_due_dates(session: Session, problem: Problem, stage: str = "measure_submit") -> dict[str | None, date]:
    """The due date (in China) of each open task of ``stage``, by item key."""
    return {t.item_key: china_date(t.due_at) for t in open_tasks(session, problem, stage) if t.due_at}


def changes(session: Session, measure: Measure) -> list[DeadlineChange]:
    return list(session.scalars(select(DeadlineChange).where(DeadlineChange.measure_id == measure.id)
                                .order_by(DeadlineChange.id)))


def rows_by_number(session: Session, world: World) -> dict[str, LedgerRow]:
    return {row.number: row for row in ledger_rows(session, world.plan.round)}


def excel_deadlines(session: Session, world: World) -> dict[str, Any]:
    """The exported workbook's 整改时限 cell of each measure, by 序号 (columns found by header name)."""
    stream = io.BytesIO()
    export_ledger(session, [world.plan.round], stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = next(i for i, row in enumerate(rows) if "整改时限" in row and "序号" in row)
    number, deadline = rows[at].index("序号"), rows[at].index("整改时限")
    found = {}
    for row in rows[at + 1:]:
        value = row[deadline]
        found[str(row[number])] = value.date() if isinstance(value, datetime) else value
    return found


def report_texts(session: Session, world: World) -> tuple[str, str]:
    """The plain-text and Markdown reports of the round."""
    report = build_report(session, world.plan.round, on=REPORT_DAY)
    return render_text(report), render_markdown(report)

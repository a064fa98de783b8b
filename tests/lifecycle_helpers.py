"""Helpers for driving the real rectification diagram in engine tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, ProcessEvent, ProcessInstance, TaskStatus, Timer, WorkflowEngine

from .conftest import BPMN_DIR

OFFICER = Actor("officer1", groups=frozenset({"officer"}), units=frozenset({"U1"}))
OTHER_OFFICER = Actor("officer2", groups=frozenset({"officer"}), units=frozenset({"U2"}))
LEADER = Actor("leader1", groups=frozenset({"leader"}))
SUPERVISOR = Actor("sup1", groups=frozenset({"supervision"}))


def deploy_lifecycle(session: Session, engine: WorkflowEngine) -> None:
    engine.deploy_path(session, BPMN_DIR / "rectification.bpmn", actor="admin")


def problem_data(
    now: datetime, *, measures: int = 2, long_term: bool = False, deadline_days: int = 30, problem_id: int = 1
) -> dict[str, Any]:
    deadline = (now + timedelta(days=deadline_days)).isoformat()
    return {
        "problem": {"id": problem_id, "long_term": long_term, "lead_unit": "U1", "leader": "leader1"},
        "measures": [
            {"id": problem_id * 100 + i, "deadline": deadline, "unit": "U1", "leader": "leader1"}
            for i in range(1, measures + 1)
        ],
        "lookback_delay": "P6M",
        "report_interval": "P1M",
        "reopen_count": 0,
        "new_deadline": None,
    }


def start(session: Session, engine: WorkflowEngine, **kwargs: Any) -> ProcessInstance:
    data = problem_data(engine.clock(), **kwargs)
    return engine.start(session, "rectification", data, actor=Actor("admin"),
                        business_key=f"problem:{data['problem']['id']}")


def open_tasks(session: Session, instance_id: int, bpmn_id: str | None = None) -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
    if bpmn_id:
        query = query.where(HumanTask.bpmn_id == bpmn_id)
    return list(session.scalars(query.order_by(HumanTask.id)))


def work(session: Session, engine: WorkflowEngine, task: HumanTask, actor: Actor, **data: Any) -> HumanTask:
    engine.claim(session, task.id, actor)
    return engine.complete(session, task.id, actor, data)


def finish_measures(session: Session, engine: WorkflowEngine, instance_id: int) -> None:
    for task in open_tasks(session, instance_id, "Task_submit_progress"):
        work(session, engine, task, OFFICER, progress="done", evidence=[])
    for task in open_tasks(session, instance_id, "Task_approve_measure"):
        work(session, engine, task, LEADER, review_decision="approve", reason=None)


def events(session: Session, instance_id: int) -> list[str]:
    return list(session.scalars(
        select(ProcessEvent.name).where(ProcessEvent.instance_id == instance_id).order_by(ProcessEvent.id)
    ))


def timers(session: Session, instance_id: int) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at)))

"""Carrying plan changes (deadline, owners) into a problem's running lifecycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import Actor, InstanceStatus, ProcessInstance, WorkflowEngine

from .models import Measure
from .plans import start_data


def push_measure(session: Session, engine: WorkflowEngine, measure: Measure, actor: Actor, *, reason: str) -> bool:
    """Give the running lifecycle the measure's current deadline, unit and leader; False if not running."""
    problem = measure.problem
    if problem.instance_id is None:
        return False
    instance = session.get(ProcessInstance, problem.instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return False
    fresh = next(m for m in start_data(problem)["measures"] if m["id"] == measure.id)

    def change(data: dict[str, Any]) -> bool:
        changed = False
        current = data.get("measure")
        if isinstance(current, dict) and current.get("id") == measure.id and current != fresh:
            data["measure"] = dict(fresh)
            changed = True
        for i, item in enumerate(data.get("measures") or []):
            if isinstance(item, dict) and item.get("id") == measure.id and item != fresh:
                data["measures"][i] = dict(fresh)
                changed = True
        return changed

    engine.amend(session, instance.id, actor, change, reason=reason)
    return True

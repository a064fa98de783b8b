"""Human tasks of the rectification lifecycle: inbox, claim, complete with validated forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine import Actor, HumanTask, WorkflowEngine
from engine.inbox import tasks_for

from . import forms
from .item_keys import measure_id
from .models import Measure
from .stages import Stage

# Completing a task of this stage records the measure's progress on the ledger.
PROGRESS_STAGE = Stage.MEASURE_SUBMIT


def inbox(session: Session, actor: Actor, *, include_claimable: bool = True) -> list[HumanTask]:
    """The actor's open tasks (held and claimable), soonest due first."""
    return tasks_for(session, actor, include_claimable=include_claimable)


def claim(session: Session, engine: WorkflowEngine, task_id: int, actor: Actor) -> HumanTask:
    """Claim a task for the actor."""
    return engine.claim(session, task_id, actor)


def unclaim(session: Session, engine: WorkflowEngine, task_id: int, actor: Actor) -> HumanTask:
    """Release a claimed task."""
    return engine.unclaim(session, task_id, actor)


def complete(
    session: Session, engine: WorkflowEngine, task_id: int, actor: Actor, data: Mapping[str, Any]
) -> HumanTask:
    """Validate the task's form, complete it, and record measure progress on the ledger."""
    task = engine.completable_task(session, task_id, actor)
    cleaned = forms.validate(task.form_key, data)
    task = engine.complete(session, task_id, actor, cleaned)
    progress_of = measure_id(task.item_key) if task.stage == PROGRESS_STAGE else None
    if progress_of is not None:
        measure = session.get(Measure, progress_of)
        if measure is not None:
            measure.progress = cleaned["progress"]
            measure.updated_at = task.completed_at
            session.flush()
    return task

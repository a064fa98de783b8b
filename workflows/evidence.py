"""Evidence (佐证材料): files attached to a task and its measure, listed in the history, downloaded.

``store_uploads`` keeps the files of one submission (all or nothing) and adds a row per
file; ``evidence_for_instance`` lists a problem's evidence for its history; ``open_evidence``
finds a file for someone who may see it. Storage itself is ``workflows.evidence_store``.
Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import Actor, HumanTask, NotAllowed, TaskStatus

from .errors import Message, NotFoundError, ValidationError
from .evidence_store import MESSAGES as STORE_MESSAGES
from .evidence_store import EvidenceStore, StagedFile, Upload, refused
from .item_keys import measure_id as measure_id_of
from .models import Evidence, Measure, Problem
from .task_access import SEE_ALL, can_view_task

__all__ = ["MESSAGES", "Upload", "EvidenceStore", "evidence_for_instance", "open_evidence", "store_uploads"]

# Catalogue key -> English default; every key is translated in web/evidence/texts.py.
MESSAGES: dict[str, str] = {
    **STORE_MESSAGES,
    "evidence.not_found": "evidence {id} does not exist",
    "evidence.not_holder": "only the person who holds this task may attach evidence to it",
    "evidence.wrong_measure": "measure {id} is not part of this task's problem",
}


def _message(key: str, **params: object) -> Message:
    return Message(key, MESSAGES[key], params)


def store_uploads(
    session: Session,
    uploads: Sequence[Upload],
    *,
    task: HumanTask,
    measure_id: int | None,
    actor: Actor,
    store: EvidenceStore,
    now: datetime,
) -> list[Evidence]:
    """Keep the files of one submission on ``task`` and add one ``Evidence`` row per file.

    ``measure_id`` links the files to a measure of the task's problem; ``None`` takes the
    measure the task is about (its item key), if any, else the files belong to the problem's
    task alone. ``actor`` must hold the task (or have just completed it). All or nothing: a
    ``ValidationError`` (type, content, empty, size, too many files, a name with a NUL, a
    foreign measure) leaves no row and no new file; content already stored stays.
    """
    if not uploads:
        return []
    if actor.key not in (task.assignee, task.completed_by) or task.status == TaskStatus.CANCELLED:
        raise NotAllowed(str(_message("evidence.not_holder")))
    measure = _measure_for(session, task, measure_id)
    if len(uploads) > store.max_files:
        raise refused("evidence.too_many", max=store.max_files, count=len(uploads))
    staged: list[StagedFile] = []
    try:
        for upload in uploads:
            staged.append(store.stage(upload))
    except BaseException:
        for item in staged:
            store.discard(item)
        raise
    rows = []
    for item in staged:
        row = Evidence(
            measure_id=measure.id if measure is not None else None,
            task_id=task.id,
            filename=item.filename,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            storage_key=store.keep(item),
            uploaded_by=actor.key,
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _measure_for(session: Session, task: HumanTask, measure_id: int | None) -> Measure | None:
    """The measure the files prove: the one named (it must belong to the task's problem), else the task's own."""
    wanted = measure_id if measure_id is not None else measure_id_of(task.item_key)
    if wanted is None:
        return None
    measure = session.scalar(
        select(Measure).join(Problem, Measure.problem_id == Problem.id)
        .where(Measure.id == wanted, Problem.instance_id == task.instance_id)
    )
    if measure is None and measure_id is not None:
        raise ValidationError(_message("evidence.wrong_measure", id=measure_id))
    return measure


def evidence_for_instance(session: Session, instance_id: int) -> list[Evidence]:
    """Every evidence row of one problem's lifecycle (attached to its tasks or its measures), oldest first."""
    task_ids = select(HumanTask.id).where(HumanTask.instance_id == instance_id)
    measure_ids = (
        select(Measure.id).join(Problem, Measure.problem_id == Problem.id).where(Problem.instance_id == instance_id)
    )
    return list(session.scalars(
        select(Evidence)
        .where(or_(Evidence.task_id.in_(task_ids), Evidence.measure_id.in_(measure_ids)))
        .order_by(Evidence.uploaded_at, Evidence.id)
    ))


def open_evidence(
    session: Session, evidence_id: int, actor: Actor, *, store: EvidenceStore
) -> tuple[Evidence, Path]:
    """The evidence row and the path of its file, if ``actor`` may see it; ``NotFoundError`` otherwise.

    Evidence is visible to whoever may see its task (``workflows.task_access``). Evidence
    without a task (rows from before tasks were recorded) is visible to supervision and
    administrators, and to whoever may see any task of its problem's lifecycle. Evidence
    that is not visible answers exactly like evidence that does not exist. The file may be
    missing from disk; the caller checks.
    """
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or not _may_see(session, actor, evidence):
        raise NotFoundError(_message("evidence.not_found", id=evidence_id))
    return evidence, store.path_for(evidence.storage_key)


def _may_see(session: Session, actor: Actor, evidence: Evidence) -> bool:
    if evidence.task_id is not None:
        task = session.get(HumanTask, evidence.task_id)
        return task is not None and can_view_task(session, actor, task)
    if actor.groups & SEE_ALL:
        return True
    if evidence.measure_id is None:
        return False
    instance_id = session.scalar(
        select(Problem.instance_id).join(Measure, Measure.problem_id == Problem.id)
        .where(Measure.id == evidence.measure_id)
    )
    if instance_id is None:
        return False
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))
    return any(can_view_task(session, actor, task) for task in tasks)

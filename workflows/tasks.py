"""Human tasks of the rectification lifecycle: inbox, claim, complete with validated forms.

``complete`` is the command line's door (data with evidence ids; files through ``submit``); ``submit`` is the
browser's: the typed fields, the uploaded evidence files and a submission token, completed in
one unit of work, so a refused form or file changes nothing and a repeated post of the same
form is recognised (``is_same_submission``) instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine import Actor, HumanTask, TaskStatus, WorkflowEngine
from engine.inbox import tasks_for

from . import forms
from .deadline_changes import follow_lifecycle, last_task_id
from .errors import Message, ValidationError
from .evidence import EvidenceStore, Upload, store_uploads
from .item_keys import measure_id
from .models import Measure
from .stages import Stage

# Completing a task of this stage records the measure's progress on the ledger.
PROGRESS_STAGE = Stage.MEASURE_SUBMIT
# Where a completed task's row keeps the token of the form that completed it (not in the process data).
SUBMISSION_TOKEN = "submission_token"
_MEASURES = cast(Table, Measure.__table__)
_TOKEN = re.compile(r"[0-9A-Za-z_-]{16,64}")


@dataclass(frozen=True)
class Submission:
    """What a person sent to complete a task: field values, evidence files, the form's token."""

    data: Mapping[str, Any]
    uploads: Sequence[Upload] = field(default_factory=tuple)
    token: str | None = None


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
    """Validate the task's form, complete it, and record measure progress and moved deadlines on the ledger."""
    task = engine.completable_task(session, task_id, actor)
    cleaned = forms.validate(task.form_key, data)
    return _complete(session, engine, task, actor, cleaned)


def submit(
    session: Session,
    engine: WorkflowEngine,
    task_id: int,
    actor: Actor,
    submission: Submission,
    *,
    store: EvidenceStore | None,
    now: datetime,
) -> HumanTask:
    """Complete a task from a browser form: its fields, its evidence files and its token.

    The fields are checked first (``forms.FormErrors``, one message per field), then the files
    are kept through ``workflows.evidence.store_uploads`` and their evidence ids become the
    form's file field; a refused file is a ``FormErrors`` on that field. Nothing is written
    unless everything is accepted (the caller's transaction rolls back on any error).
    """
    task = engine.completable_task(session, task_id, actor)
    if task.form_key is None:
        return _complete(session, engine, task, actor, dict(submission.data), submission.token)
    form = forms.form_for(task.form_key)
    files_field = form.files_field
    data = dict(submission.data)
    if files_field is not None:
        data[files_field.name] = []
    cleaned, errors = forms.check(task.form_key, data)
    if errors:
        raise forms.FormErrors(errors)
    if submission.uploads:
        if files_field is None or store is None:
            raise ValidationError(Message("form.evidence_list", forms.MESSAGES["form.evidence_list"],
                                          {"name": "evidence"}))
        try:
            kept = store_uploads(session, submission.uploads, task=task, measure_id=None, actor=actor, store=store,
                                 now=now)
        except ValidationError as refused:
            raise forms.FormErrors({files_field.name: refused.message or _plain(str(refused))}) from None
        # the other fields were cleaned above; only the file field has a new value to check
        cleaned[files_field.name] = forms.clean_field(task.form_key, files_field.name,
                                                      [evidence.id for evidence in kept], cleaned)
    return _complete(session, engine, task, actor, cleaned, submission.token)


def is_same_submission(task: HumanTask, actor: Actor, token: str | None) -> bool:
    """Whether ``task`` was completed by ``actor`` with the form carrying ``token``: a repeated
    post (a double click, a reloaded confirmation) of a submission that already went through."""
    if task.status != TaskStatus.COMPLETED or task.completed_by != actor.key or not _valid_token(token):
        return False
    return bool(task.data) and (task.data or {}).get(SUBMISSION_TOKEN) == token


def _complete(
    session: Session,
    engine: WorkflowEngine,
    task: HumanTask,
    actor: Actor,
    cleaned: dict[str, Any],
    token: str | None = None,
) -> HumanTask:
    opened_after = last_task_id(session, task.instance_id)
    task = engine.complete(session, task.id, actor, cleaned)
    if _valid_token(token):
        # On the task's row only: the token identifies the form, it is no business of the process.
        task.data = {**(task.data or {}), SUBMISSION_TOKEN: token}
    progress_of = measure_id(task.item_key) if task.stage == PROGRESS_STAGE else None
    if progress_of is not None:
        held = session.identity_map.get(identity_key(Measure, progress_of))
        if held is not None:
            held.progress, held.updated_at = cleaned["progress"], task.completed_at
        else:  # one UPDATE and no read first, on every completion (a measure that is gone is left alone)
            session.execute(update(_MEASURES).where(_MEASURES.c.id == progress_of)
                            .values(progress=cleaned["progress"], updated_at=task.completed_at))
    # The step may have moved deadlines (a failed verification or a rebound with a new deadline):
    # the ledger follows what the engine now holds.
    follow_lifecycle(session, task, opened_after=opened_after)
    session.flush()
    return task


def _valid_token(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


def _plain(text: str) -> Message:
    # A message without a catalogue key: shown as it is (braces doubled: it is a format template).
    return Message("", text.replace("{", "{{").replace("}", "}}"))

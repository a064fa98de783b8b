"""The task page ``GET /tasks/<id>`` and completing a task ``POST /tasks/<id>/complete``.

Each route: load the task or 404 (``task_or_404``), call one service, render. A refused form
comes back with the errors beside the fields and what was typed (422, nothing written). A task
that moved on meanwhile — completed, cancelled, taken by someone else — shows the page again
with what happened and what was typed (409 / 403), unless it was completed by this very form
(a double click, a reloaded post): then the person is told it went through, once.
"""

from __future__ import annotations

import time
from typing import Any

from flask import flash, redirect, request, url_for

from engine import Actor, ConflictError, HumanTask, NotAllowed, TaskStateError, TaskStatus
from workflows import forms
from workflows.feedback import feedback_for_task
from workflows.history import people_names
from workflows.tasks import Submission, is_same_submission, submit

from ..auth import current_actor
from ..db_session import get_session
from ..evidence.uploads import evidence_store, uploads_from
from ..i18n import error_text, t
from ..services import services
from ..steps import step_label
from .access import task_or_404
from .blueprint import bp
from .page import render_submitted_page, render_task_page, typed_values


@bp.get("/tasks/<int:task_id>")
def show(task_id: int) -> Any:
    """The task, its problem and measures, the problem's history and — for its holder — the form.

    A triage task of public feedback has its own page, where the decision is applied with it.
    """
    actor = current_actor()
    task = task_or_404(task_id, actor)
    feedback = feedback_for_task(get_session(), task)
    if feedback is not None:
        return redirect(url_for("public.triage_page", feedback_id=feedback.id))
    return render_task_page(task, actor)


@bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int) -> Any:
    """Complete the task with the posted form (multipart, with evidence files); back to the inbox."""
    actor = current_actor()
    task = task_or_404(task_id, actor)
    typed = typed_values(request.form)
    token = request.form.get("submission_token") or None
    files_field = forms.FORMS[task.form_key].files_field if task.form_key in forms.FORMS else None
    uploads = uploads_from(request.files.getlist(files_field.name)) if files_field is not None else []
    data = forms.from_form_fields(task.form_key, typed) if task.form_key in forms.FORMS else typed
    engine = services().workflow_engine
    try:
        done = submit(get_session(), engine, task.id, actor, Submission(data, uploads, token),
                      store=evidence_store(), now=engine.clock())
    except forms.FormErrors as refused:
        page = render_task_page(task, actor, typed=typed, errors=refused.errors, token=token,
                                files_lost=bool(uploads))
        return page, 422
    except (TaskStateError, NotAllowed, ConflictError) as overtaken:
        return _overtaken(task, overtaken, typed, token)
    flash(t("tasks.completed", step=step_label(done)), "success")
    return redirect(url_for("inbox.index"), code=303)


def _overtaken(task: HumanTask, error: Exception, typed: dict[str, str], token: str | None) -> Any:
    """The task changed under the person: the same submission already went through, or say what
    happened and keep what they typed."""
    actor = current_actor()
    fresh = _settled(task.id, actor, wait=isinstance(error, ConflictError))
    if is_same_submission(fresh, actor, token):
        return render_submitted_page(fresh, actor)
    status = 403 if isinstance(error, NotAllowed) else 409
    return render_task_page(fresh, actor, typed=typed, notice=_notice(fresh, error), token=token), status


# A race lost on SQLite is reported while the winner may still be writing (a reader there cannot
# wait for a writer): give a rival — often the same form, double-clicked — a moment to commit.
SETTLE_TRIES = 10
SETTLE_PAUSE_SECONDS = 0.1


def _settled(task_id: int, actor: Actor, *, wait: bool) -> HumanTask:
    """The task as it is now, read in a new transaction: this one's snapshot may predate the rival's
    commit, and nothing this request did is to be kept anyway."""
    session = get_session()
    tries = SETTLE_TRIES if wait else 1
    while True:
        session.rollback()
        fresh = session.get(HumanTask, task_id)
        assert fresh is not None  # task rows are never deleted while their instance lives
        tries -= 1
        if tries == 0 or fresh.status != TaskStatus.OPEN or fresh.assignee != actor.key:
            return fresh
        time.sleep(SETTLE_PAUSE_SECONDS)


def _notice(task: HumanTask, error: Exception) -> str:
    """What happened to the task, in words its user knows (the engine's message as a last resort)."""
    names = people_names(get_session(), {login for login in (task.completed_by, task.assignee) if login})
    if task.status == TaskStatus.COMPLETED:
        who = task.completed_by or ""
        return t("tasks.already_completed", name=names.get(who, who))
    if task.status == TaskStatus.CANCELLED:
        return t("tasks.cancelled")
    if task.assignee is None:
        return t("tasks.not_claimed")
    if isinstance(error, NotAllowed) or task.assignee != current_actor().key:
        return t("tasks.held_by_other", name=names.get(task.assignee, task.assignee))
    return error_text(error)

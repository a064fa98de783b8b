"""API routes: the inbox's tasks, one task with its form, claim, release and complete.

The same rules as the pages: ``task_or_404`` first (404 for a task the caller may not see), then the
services of ``workflows.tasks``; the engine's refusals become 403 (may see, may not act) and 409 (the
task moved on, or a claim lost to someone else) through ``web.errors``. A completion is validated by
the form declaration the web uses (``workflows.forms``): 422 with one message per field.
"""

from __future__ import annotations

from typing import Any

from flask import request

from engine import ConflictError, EngineError, HumanTask
from workflows import forms
from workflows.inbox import Tab
from workflows.tasks import Submission, claim, submit, unclaim

from ..config import warning_window_days
from ..db_session import get_session
from ..evidence.uploads import evidence_store, uploads_from
from ..i18n import message_text
from ..services import services
from ..tasks.access import task_or_404
from .core import ApiError, api_actor, bp
from .schemas import ApiErrorSchema, CompleteSchema, TaskDetailSchema, TaskListArgs, TaskPageSchema, TaskSchema
from .task_views import filters_from, task_detail, task_page, tasks_as_json

_REFUSALS = (401, 403, 404, 409, 429)


def _errors(*statuses: int) -> Any:
    """Document the refusals a route may answer with (all in ``ApiErrorSchema``'s form)."""
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = bp.alt_response(status, schema=ApiErrorSchema, description="refused")(view)
        return view
    return decorate


@bp.get("/tasks")
@bp.arguments(TaskListArgs, location="query")
@bp.response(200, TaskPageSchema)
@_errors(400, 401, 422, 429)
def list_tasks(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's tasks: ``tab`` mine (held), claimable (offered to them) or done, with the inbox's filters."""
    page = task_page(get_session(), api_actor(), Tab(args["tab"]), filters_from(args),
                     now=services().workflow_engine.clock(), window_days=warning_window_days(),
                     cursor=args["cursor"], limit=args["limit"])
    return {"items": page.items, "next_cursor": page.next_cursor}


@bp.get("/tasks/<int:task_id>")
@bp.response(200, TaskDetailSchema)
@_errors(401, 404, 429)
def get_task(task_id: int) -> dict[str, Any]:
    """One task, with the fields of its form (what ``complete`` accepts)."""
    return task_detail(get_session(), task_or_404(task_id, api_actor()))


@bp.post("/tasks/<int:task_id>/claim")
@bp.response(200, TaskSchema)
@_errors(*_REFUSALS)
def claim_task(task_id: int) -> dict[str, Any]:
    """Claim a task offered to the caller; 409 when someone else holds it already."""
    actor = api_actor()
    session = get_session()
    # The claim's own condition (open, unclaimed, offered to the caller) implies that the caller may see
    # the task, so the visibility check is only needed when the claim is refused: a task they may not
    # see is still a 404, whatever the engine would have said.
    try:
        claimed = claim(session, services().workflow_engine, task_id, actor)
    except ConflictError:
        session.rollback()  # the refusal may come from the database; the request ends in an error anyway
        task_or_404(task_id, actor)
        raise
    except EngineError:
        task_or_404(task_id, actor)
        raise
    return _json(claimed)


@bp.post("/tasks/<int:task_id>/unclaim")
@bp.response(200, TaskSchema)
@_errors(*_REFUSALS)
def unclaim_task(task_id: int) -> dict[str, Any]:
    """Give a held task back to its candidates (only its holder may)."""
    actor = api_actor()
    task_or_404(task_id, actor)
    return _json(unclaim(get_session(), services().workflow_engine, task_id, actor))


@bp.post("/tasks/<int:task_id>/complete")
@bp.doc(requestBody={"required": True, "content": {
    "application/json": {"schema": CompleteSchema},
    "multipart/form-data": {"schema": {"type": "object", "description": (
        "the form's fields as text fields, and its files (evidence) as file fields under the form's files "
        "field name"), "additionalProperties": True}},
}})
@bp.response(200, TaskSchema)
@_errors(400, 413, 422, *_REFUSALS)
def complete_task(task_id: int) -> dict[str, Any]:
    """Complete a held task: JSON ``{"data": {...}}``, or multipart with evidence files."""
    actor = api_actor()
    task = task_or_404(task_id, actor)
    data, uploads = _submission(task)
    engine = services().workflow_engine
    try:
        done = submit(get_session(), engine, task.id, actor, Submission(data, uploads),
                      store=evidence_store(), now=engine.clock())
    except forms.FormErrors as refused:
        fields = {name: message_text(message) for name, message in refused.errors.items()}
        raise ApiError(422, "invalid", next(iter(fields.values())), fields=fields) from None
    return _json(done)


def _submission(task: HumanTask) -> tuple[dict[str, Any], list[Any]]:
    """The values and files sent: multipart (form fields, files under the form's files field) or JSON."""
    form = forms.FORMS.get(task.form_key or "")
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        typed = {name: value for name, value in request.form.items()}
        files_field = form.files_field if form is not None else None
        uploads = uploads_from(request.files.getlist(files_field.name)) if files_field is not None else []
        data = forms.from_form_fields(form.key, typed) if form is not None else dict(typed)
        return data, uploads
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", 'send JSON {"data": {field: value}} or a multipart form')
    loaded = body.get("data", {})
    if not isinstance(loaded, dict):
        raise ApiError(400, "bad_request", '"data" must be an object of field values')
    return loaded, []


def _json(task: HumanTask) -> dict[str, Any]:
    return tasks_as_json(get_session(), [task])[0]

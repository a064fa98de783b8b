"""Routes of the imports area (thin: parse, authorise, call one service, render).

``/import``: the upload form and the person's open drafts; an upload becomes a draft and the
browser goes to its preview (``/import/<id>``). Corrections, confirm and cancel are small POST
forms that redirect back (post/redirect/get). Only supervision and administrators get in.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from workflows.errors import ValidationError
from workflows.import_draft_ledger import confirm_ledger_draft, create_ledger_draft
from workflows.import_drafts import (
    SHOWN_LINES,
    UploadRefused,
    cancel_draft,
    confirm_plan_draft,
    create_plan_draft,
    draft_for,
    edit_plan_draft,
    open_drafts,
    upload_kind,
)
from workflows.models import DraftKind, DraftStatus, Role
from workflows.plan_import import MAX_FILE_BYTES

from ..auth import current_actor, current_person_or_none, role_required
from ..db_session import get_session
from ..errors import error_response
from ..i18n import error_text, t
from ..services import services
from .blueprint import bp
from .forms import ACTIONS, parse_edit, revision
from .preview import plan_preview, reason_text

OFFICE = (Role.SUPERVISION, Role.ADMIN)


@bp.get("/import")
@role_required(*OFFICE)
def index() -> str:
    """The upload form and the signed-in person's open drafts."""
    return _upload_page()


@bp.post("/import")
@role_required(*OFFICE)
def upload() -> Response | tuple[str, int]:
    """Read the uploaded file into a draft (the only write) and show its preview."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(error=t("imports.no_file")), 422
    name, data = upload.filename, upload.read()
    actor, engine = current_actor(), services().workflow_engine
    try:
        if upload_kind(name, data) == DraftKind.LEDGER:
            draft = create_ledger_draft(get_session(), engine, actor, name, data, at=engine.clock())
        else:
            draft = create_plan_draft(get_session(), actor, name, data, at=engine.clock(),
                                      docx_max_xml_bytes=current_app.config["DOCX_MAX_XML_BYTES"])
    except UploadRefused as refused:
        nothing = refused.message is not None and refused.message.key == "imports.error.nothing_found"
        return _upload_page(error=error_text(refused), lines=refused.lines, nothing_found=nothing), 422
    flash(t("imports.uploaded", name=draft.source_name), "success")
    return redirect(url_for("imports.preview", draft_id=draft.id), 303)


@bp.get("/import/<int:draft_id>")
@role_required(*OFFICE)
def preview(draft_id: int) -> str:
    """The draft: a plan's parsed tree beside its source, or a ledger's changes."""
    draft = draft_for(get_session(), draft_id, current_actor())
    if draft.kind == DraftKind.LEDGER:
        return render_template("imports/ledger_preview.html", draft=draft, diff=draft.tree, ledger_url=_ledger_url)
    view = plan_preview(draft, request.args.get("at", ""))
    return render_template("imports/preview.html", draft=draft, view=view, ledger_url=_ledger_url,
                           open_status=DraftStatus.OPEN, reason_text=reason_text)


@bp.post("/import/<int:draft_id>/edit/<action>")
@role_required(*OFFICE)
def edit(draft_id: int, action: str) -> Response:
    """One correction of the plan (``action``: rename, move, split, merge, promote, fill); back to the preview."""
    if action not in ACTIONS:
        return _not_found()
    try:
        change = parse_edit(action, request.form)
        edit_plan_draft(get_session(), draft_id, current_actor(), revision(request.form), change)
    except ValidationError as refused:  # nothing was written: the tree is replaced only after a good edit
        flash(error_text(refused), "error")
    else:
        flash(t("imports.edited"), "success")
    return redirect(_back_to_item(draft_id), 303)


@bp.post("/import/<int:draft_id>/confirm")
@role_required(*OFFICE)
def confirm(draft_id: int) -> Response:
    """Create the round (or apply the ledger) and mark the draft confirmed, then go to the ledger."""
    session, actor, engine = get_session(), current_actor(), services().workflow_engine
    kind = draft_for(session, draft_id, actor).kind
    try:
        if kind == DraftKind.LEDGER:
            result = confirm_ledger_draft(session, engine, draft_id, actor, at=engine.clock())
            flash(t("imports.confirmed_ledger", round=result.round_id), "success")
        else:
            result = confirm_plan_draft(session, engine, draft_id, actor, at=engine.clock())
            flash(t("imports.confirmed", round=result.round_id, launched=result.launched), "success")
    except ValidationError as refused:
        flash(error_text(refused), "error")
        return redirect(url_for("imports.preview", draft_id=draft_id), 303)
    for warning in result.warnings:
        flash(warning, "success")
    return redirect(_ledger_url(result.round_id), 303)


@bp.post("/import/<int:draft_id>/cancel")
@role_required(*OFFICE)
def cancel(draft_id: int) -> Response:
    """Delete the draft; nothing of the upload remains."""
    session, actor = get_session(), current_actor()
    name = draft_for(session, draft_id, actor).source_name
    cancel_draft(session, draft_id, actor)
    flash(t("imports.cancelled", name=name), "success")
    return redirect(url_for("imports.index"), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Any:
    """An upload over ``MAX_CONTENT_LENGTH``: a page that says so and leads back to the form."""
    limit = max(1, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
    person = current_person_or_none()
    if person is None or not person.roles & set(OFFICE):
        return error_response(413, t("error.413"))
    return render_template("imports/too_large.html", limit=limit), 413


def _upload_page(error: str | None = None, lines: list[str] | None = None, nothing_found: bool = False) -> str:
    drafts = open_drafts(get_session(), current_actor())
    return render_template("imports/index.html", drafts=drafts, error=error, lines=lines or [],
                           nothing_found=nothing_found,
                           shown=SHOWN_LINES, plan_limit=MAX_FILE_BYTES // (1024 * 1024))


def _ledger_url(round_id: int) -> str:
    """The ledger of the round (``/ledger?round=<id>``), whether or not the ledger page is built yet."""
    if "ledger.index" in current_app.view_functions:
        return url_for("ledger.index", round=round_id)
    return f"/ledger?round={round_id}"


def _back_to_item(draft_id: int) -> str:
    """The preview, opened at the item the form was on (``?at=m-1-2-3#m-1-2-3``) so a long page keeps its place."""
    target = request.form.get("anchor", "")
    if not (target.isascii() and target.replace("-", "").isalnum() and len(target) <= 30):
        return url_for("imports.preview", draft_id=draft_id)
    return url_for("imports.preview", draft_id=draft_id, at=target) + f"#{target}"


def _not_found() -> Response:
    response, _ = error_response(404, t("error.404"))
    response.status_code = 404
    return response

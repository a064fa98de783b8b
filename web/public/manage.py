"""Supervision's side of the public page: ``/publish`` (publish a round's report as a new snapshot, see
every version and the public's feedback) and the triage page of one opinion (意见建议处理).

Supervision and administrators only (``role_required``); thin like every route: parse, authorise,
one service call, render. A publication or triage that loses a race answers 409 with a message.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import ConflictError, NotAllowed, TaskStateError
from workflows.feedback import recent_feedback, triage, triage_view
from workflows.feedback_form import TRIAGE_FORM
from workflows.form_fields import FormErrors
from workflows.models import Role
from workflows.publishing import publication_overview, publish

from ..auth import current_actor, role_required
from ..db_session import get_session
from ..i18n import message_text, t
from ..services import services
from .blueprint import bp

MANAGERS = (Role.SUPERVISION, Role.ADMIN)


@bp.get("/publish")
@role_required(*MANAGERS)
def manage() -> str:
    """Every round with its publications (version, when, by whom), a publish button each, and the feedback."""
    session = get_session()
    return render_template("public/manage.html", rounds=publication_overview(session),
                           feedback=recent_feedback(session))


@bp.post("/publish/<int:round_id>", endpoint="publish")
@role_required(*MANAGERS)
def publish_round(round_id: int) -> Response:
    """Publish the round's current progress report as its next version; back to the list."""
    engine = services().workflow_engine
    published = publish(get_session(), round_id, current_actor(), now=engine.clock())
    flash(t("publish.done", title=published.title, version=published.version), "success")
    return redirect(url_for("public.manage"), code=303)


@bp.get("/publish/feedback/<int:feedback_id>")
@role_required(*MANAGERS)
def triage_page(feedback_id: int) -> str:
    """One opinion, escaped, with the triage form for the person holding its task."""
    return _render(feedback_id)


@bp.post("/publish/feedback/<int:feedback_id>")
@role_required(*MANAGERS)
def triage_submit(feedback_id: int) -> Any:
    """Apply the decision (reply / forward / dismiss) by completing the triage task."""
    typed = {field.name: request.form.get(field.name, "") for field in TRIAGE_FORM.fields}
    engine = services().workflow_engine
    try:
        done = triage(get_session(), engine, feedback_id, current_actor(), typed, now=engine.clock())
    except FormErrors as refused:
        errors = {name: message_text(message) for name, message in refused.errors.items()}
        return _render(feedback_id, typed=typed, errors=errors), 422
    except (TaskStateError, NotAllowed, ConflictError) as overtaken:
        get_session().rollback()  # show the opinion as it stands now, not as this request left it
        status = 403 if isinstance(overtaken, NotAllowed) else 409
        return _render(feedback_id, typed=typed, notice=t("triage.overtaken")), status
    flash(t("triage.done", status=t(f"feedback.status.{done.status.value}")), "success")
    return redirect(url_for("public.triage_page", feedback_id=feedback_id), code=303)


def _render(feedback_id: int, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
            notice: str | None = None) -> str:
    view = triage_view(get_session(), feedback_id, current_actor())
    return render_template("public/triage.html", view=view, form=TRIAGE_FORM, values=typed or {},
                           errors=errors or {}, notice=notice)

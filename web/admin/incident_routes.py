"""Admin routes: incidents ``/admin/incidents`` (timers and service tasks: retry, skip with a reason) and open
tasks ``/admin/tasks``.

Thin: authorise (``admin_required``), call one service, render or redirect. Retrying and skipping are the
engine's (audited there); reassignment is the existing page ``/tasks/<id>/reassign`` (web.delegation),
which the task list links to.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workflows.admin_instances import TaskFilter, incident_rows, open_tasks, service_incident_rows

from ..auth import current_actor
from ..db_session import get_session
from ..i18n import t
from ..services import services
from .access import admin_required
from .blueprint import bp
from .instance_routes import page_number


@bp.get("/incidents")
@admin_required
def incidents() -> str:
    """Timers that gave up after their last attempt, and service tasks that failed, with their error and instance."""
    engine = services().workflow_engine
    return render_template("admin/incidents.html", rows=incident_rows(get_session(), engine),
                           service_rows=service_incident_rows(get_session(), engine))


@bp.post("/incidents/<int:timer_id>/retry")
@admin_required
def retry_incident(timer_id: int) -> Response:
    """Let the timer fire again on the next tick (a timer that is no incident any more: 409)."""
    services().workflow_engine.retry_incident(get_session(), timer_id, current_actor())
    flash(t("admin.incidents.retried", id=timer_id), "success")
    return redirect(url_for("admin.incidents"), code=303)


@bp.post("/incidents/<int:timer_id>/skip")
@admin_required
def skip_incident(timer_id: int) -> Response:
    """Stop the timer for good, leaving the instance as it is; the reason is required and audited."""
    reason = " ".join(request.form.get("reason", "").split())
    if not reason:
        flash(t("admin.incidents.reason_needed"), "error")
        return redirect(url_for("admin.incidents"), code=303)
    services().workflow_engine.skip_incident(get_session(), timer_id, current_actor(), reason)
    flash(t("admin.incidents.skipped", id=timer_id), "success")
    return redirect(url_for("admin.incidents"), code=303)


@bp.post("/service-incidents/<int:incident_id>/retry")
@admin_required
def retry_service_incident(incident_id: int) -> Response:
    """Run the failed service task again now (a new failure is a new incident; one resolved already: 409)."""
    services().workflow_engine.retry_service_incident(get_session(), incident_id, current_actor())
    flash(t("admin.incidents.service_retried", id=incident_id), "success")
    return redirect(url_for("admin.incidents"), code=303)


@bp.post("/service-incidents/<int:incident_id>/skip")
@admin_required
def skip_service_incident(incident_id: int) -> Response:
    """Complete the failed service task without calling its service; the reason is required and audited."""
    reason = " ".join(request.form.get("reason", "").split())
    if not reason:
        flash(t("admin.incidents.reason_needed"), "error")
        return redirect(url_for("admin.incidents"), code=303)
    services().workflow_engine.skip_service_incident(get_session(), incident_id, current_actor(), reason)
    flash(t("admin.incidents.service_skipped", id=incident_id), "success")
    return redirect(url_for("admin.incidents"), code=303)


@bp.get("/tasks")
@admin_required
def tasks() -> str:
    """Open tasks by business key, step, holder and unit, each linking to its reassignment page."""
    query = TaskFilter(**{name: request.args.get(name, "")[:200] for name in ("business_key", "step", "holder",
                                                                               "unit")})
    result = open_tasks(get_session(), query, page_number(request.args.get("page")))
    return render_template("admin/tasks.html", query=query, result=result)

"""Reassigning a task (转办): ``/tasks/<id>/reassign`` shows the form (GET) and hands the task over (POST).

Load the task or 404 (``task_or_404``), refuse those who may not reassign it (403), then
one service call (``workflows.reassign.reassign_task``). Refused input shows the form again
with the message and what was typed (400, nothing written); a task finished or taken meanwhile
is the engine's error, answered by ``web.errors``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from engine import HumanTask
from workflows.errors import ValidationError
from workflows.people import person_by_login
from workflows.reassign import may_reassign, reassign_task

from ..auth import current_actor
from ..db_session import get_session
from ..i18n import error_text, t
from ..services import services
from ..tasks.access import task_or_404
from .blueprint import bp
from .panel import ReassignPanel, reassign_panel


@bp.route("/tasks/<int:task_id>/reassign", methods=["GET", "POST"])
def reassign(task_id: int) -> Any:
    """The reassign form, or (POST ``to_login``, ``reason``) hand the task to that person."""
    actor = current_actor()
    task = task_or_404(task_id, actor)
    if not may_reassign(actor, task):
        abort(403)
    session = get_session()
    if request.method == "GET":
        return _page(task, reassign_panel(session, actor, task))
    to_login = request.form.get("to_login", "")
    reason = request.form.get("reason", "")
    try:
        reassign_task(session, services().workflow_engine, task.id, actor, to_login, reason)
    except ValidationError as exc:
        # The panel (eligible people) is built only when the form is shown again, not for a redirect.
        panel = reassign_panel(session, actor, task)
        if panel is not None:
            panel = panel.refused(error_text(exc), to_login=to_login, reason=reason)
        return _page(task, panel), 400
    holder = person_by_login(session, to_login.strip())
    flash(t("delegation.done", name=holder.name if holder else to_login), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


def _page(task: HumanTask, panel: ReassignPanel | None) -> str:
    holder = person_by_login(get_session(), task.assignee) if task.assignee else None
    return render_template("delegation/reassign.html", task=task, holder=holder, reassign=panel)

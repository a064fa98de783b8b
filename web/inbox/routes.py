"""Inbox routes: the list at ``/``, and claim / release in one click (POST, then back where you were)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workflows.inbox import Sort, Tab, inbox_page
from workflows.inbox_claims import ClaimOutcome, claim_task, unclaim_task
from workflows.inbox_filters import filter_choices
from workflows.models import Role
from workflows.warnings import WarningColour

from ..auth import current_actor, current_person, safe_next
from ..config import warning_window_days
from ..db_session import get_session
from ..i18n import message_text, role_label
from ..navigation import BADGE_KEY, INBOX_ROLES
from ..services import services
from ..tasks.access import task_or_404
from .blueprint import bp
from .display import days_text
from .params import inbox_url, parse_query, tab_url


@bp.get("/")
def index() -> str:
    """The inbox of a person who works on tasks; a friendly page for anyone else."""
    person = current_person()
    if not person.roles & INBOX_ROLES:
        roles = [role_label(role) for role in Role if person.has_role(role)]  # enum order
        return render_template("inbox/welcome.html", person=person, roles=roles)
    query = parse_query(request.args)
    session = get_session()
    page = inbox_page(session, current_actor(), query, now=services().workflow_engine.clock(),
                      window_days=warning_window_days())
    if not query.filters.active:
        setattr(g, BADGE_KEY, page.counts[Tab.MINE])  # the badge needs no query of its own
    return render_template(
        "inbox/index.html", page=page, query=query, choices=filter_choices(session), tabs=list(Tab),
        colours=list(WarningColour), sorts=[s for s in Sort if s is not Sort.RECENT or query.tab is Tab.DONE],
        url=lambda **changes: inbox_url(query, **changes), tab_url=lambda tab: tab_url(query, tab),
        days_text=days_text,
    )


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Response:
    """Claim a task; whatever happens, go back with a message (a lost race names the winner)."""
    actor = current_actor()
    task_or_404(task_id, actor)
    return _back(claim_task(get_session(), services().workflow_engine, task_id, actor))


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Response:
    """Give a task back to its candidates, then go back with a message."""
    actor = current_actor()
    task_or_404(task_id, actor)
    return _back(unclaim_task(get_session(), services().workflow_engine, task_id, actor))


def _back(outcome: ClaimOutcome) -> Response:
    flash(message_text(outcome.message), "success" if outcome.done else "error")
    return redirect(safe_next(request.form.get("next")) or url_for("inbox.index"))

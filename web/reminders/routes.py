"""Reminder routes: the list at ``/reminders`` (one's own only) and marking read (one POST, then back).

Thin, like the inbox's: read the arguments, call one service (``workflows.reminder_list``), render.
A reminder that is not the signed-in person's is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from workflows.reminder_list import mark_read, reminder_counts, reminder_links, reminders_for, unread_count

from ..auth import current_actor, current_person, current_person_or_none, safe_next
from ..db_session import get_session
from ..i18n import t
from ..reminder_jobs import remember_app_settings
from ..services import services
from .blueprint import bp

log = logging.getLogger(__name__)

PAGE_SIZE = 30
# Where a page that already counted the person's unread reminders leaves the number (``flask.g``).
BADGE_KEY = "rectiflow_unread_reminders"
_ID_DIGITS = 18  # more digits than any id: refused before it reaches the database


@bp.get("/reminders")
def index() -> str:
    """The signed-in person's reminders, newest first, unread ones marked; 30 a page."""
    person = current_person()
    session = get_session()
    unread, total = reminder_counts(session, person.login)
    setattr(g, BADGE_KEY, unread)  # the header's badge needs no query of its own
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(_page_number(request.args.get("page")), pages)
    rows = reminders_for(session, person.login, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("reminders/index.html", rows=rows, links=reminder_links(session, current_actor(), rows),
                           unread=unread, total=total, page=page, pages=pages)


@bp.post("/reminders/read")
def read() -> Response:
    """Mark one reminder (form field ``reminder_id``) or, without it, all of one's reminders read."""
    person = current_person()
    raw = request.form.get("reminder_id")
    ids = None
    if raw is not None:
        if not (raw.isascii() and raw.isdecimal() and len(raw) <= _ID_DIGITS):
            abort(404)
        ids = [int(raw)]
    marked = mark_read(get_session(), person.login, services().workflow_engine.clock(), reminder_ids=ids)
    if ids is None or marked:
        flash(t("reminders.marked", count=marked) if marked else t("reminders.nothing_to_mark"), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("reminders.index"))


def unread_badge() -> int | None:
    """The signed-in person's unread reminders for the header (None when signed out)."""
    person = current_person_or_none()
    if person is None:
        return None
    counted: int | None = g.get(BADGE_KEY)
    if counted is None:
        counted = unread_count(get_session(), person.login)
        setattr(g, BADGE_KEY, counted)
    return counted


@bp.record_once
def _remember_settings(state: BlueprintSetupState) -> None:
    """The scheduler's reminder job reads this app's settings through its services."""
    remember_app_settings(cast(Flask, state.app))  # registered on Rectiflow's app only


@bp.app_context_processor
def _badge() -> dict[str, int | None]:
    """Every page's template gets ``unread_reminders`` for the header."""
    try:
        return {"unread_reminders": unread_badge()}
    except SQLAlchemyError:  # an error page after a failed commit: the badge must not hide it
        log.warning("counting unread reminders for the badge failed", exc_info=True)
        return {"unread_reminders": None}


def _page_number(raw: str | None) -> int:
    if raw is None or not (raw.isascii() and raw.isdecimal()) or len(raw) > 6:
        return 1
    return max(1, int(raw))

"""Ledger routes: the page at ``/ledger`` and its downloads at ``/ledger/download``.

Thin: read the GET parameters (``workflows.ledger_page.parse_filters``: ``round``, ``part``, ``unit``,
``status``, ``colour``, ``q``, ``page`` — other pages link to these names), call one service, render
or send. Visibility is the services' (``workflows.ledger_scope``): every signed-in person may open
the page and sees only the rows they may see; someone who may see nothing sees an empty ledger.
"""

from __future__ import annotations

import io

from flask import abort, current_app, render_template, request, send_file
from werkzeug.wrappers import Response

from workflows.errors import NotFoundError, ValidationError
from workflows.ledger import shown_status
from workflows.ledger_page import ledger_page, parse_filters
from workflows.ledger_page_cache import ViewCache
from workflows.ledger_page_download import FORMATS, ledger_download
from workflows.models import ProblemStatus
from workflows.warnings import WarningColour

from ..auth import current_actor
from ..config import warning_window_days
from ..db_session import get_session
from ..i18n import t
from ..services import services
from .blueprint import bp

CACHE_KEY = "rectiflow_ledger_views"


@bp.get("/ledger")
def index() -> str:
    """One page of a round's ledger (the newest round unless ``round`` says), filtered, with its
    counters and the download buttons for the same view."""
    filters, bad = parse_filters(request.args)
    view = ledger_page(get_session(), current_actor(), filters, now=services().workflow_engine.clock(),
                       window_days=warning_window_days(), cache=_view_cache())
    if view.round is None and filters.round_id is not None:
        abort(404)
    return render_template("ledger/index.html", view=view, bad=[t(f"ledger.param.{name}") for name in bad],
                           statuses=list(ProblemStatus), colours=list(WarningColour), formats=list(FORMATS),
                           shown_status=shown_status)


def _view_cache() -> ViewCache:
    """This app's memo of the ledger views' counters (``workflows.ledger_page_cache``)."""
    cache: ViewCache = current_app.extensions.setdefault(CACHE_KEY, ViewCache())
    return cache


@bp.get("/ledger/download")
def download() -> Response:
    """The current view as ``format`` = xlsx (the Excel ledger) or docx, html, md (the progress report)."""
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        raise ValidationError(t("ledger.bad_format"))  # answered 422 with the message
    filters, _ = parse_filters(request.args)
    try:
        found = ledger_download(get_session(), current_actor(), filters, fmt,
                                now=services().workflow_engine.clock(), window_days=warning_window_days())
    except NotFoundError:
        abort(404)
    response = send_file(io.BytesIO(found.content), mimetype=found.mimetype, as_attachment=True,
                         download_name=found.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response

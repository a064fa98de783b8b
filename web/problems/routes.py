"""The problem page ``GET /problems/<id>`` and the diagram its instance runs ``GET /problems/<id>/diagram.bpmn``.

Thin: authorise (``workflows.ledger_scope.can_view_problem``: anyone else gets the 404 a missing
problem gets, so ids reveal nothing), call one service (``workflows.problem_page``), render.
"""

from __future__ import annotations

from flask import Response, abort, render_template

from workflows.ledger import deadline_history_text, reopen_text
from workflows.ledger_scope import can_view_problem
from workflows.problem_page import problem_diagram_xml, problem_page

from ..auth import current_actor
from ..config import warning_window_days
from ..db_session import get_session
from ..i18n import TEXTS, t
from ..services import services
from ..tasks.page import file_size
from ..vendor import installed
from .blueprint import bp
from .diagram_state import diagram_state, step_lines

# The libraries the diagram needs (web/vendor.py); without them the page shows the list of steps only.
_DIAGRAM_FILES = ("bpmn-viewer.js", "bpmn-js.css", "diagram-js.css")
_XML_CSP = "sandbox; default-src 'none'"


@bp.get("/problems/<int:problem_id>")
def show(problem_id: int) -> str:
    """The problem, its measures, tasks, audit trail and its position on the lifecycle diagram."""
    actor = current_actor()
    session = get_session()
    if not can_view_problem(session, actor, problem_id):
        abort(404)
    engine = services().workflow_engine
    page = problem_page(session, engine, problem_id, actor, now=engine.clock(), window_days=warning_window_days())
    if page is None:
        abort(404)
    position = page.position
    return render_template(
        "problems/show.html", page=page,
        steps=step_lines(position) if position is not None else [],
        state=diagram_state(position) if position is not None else None,
        diagram_ready=all(installed(name) for name in _DIAGRAM_FILES),
        file_size=file_size, audit_action=audit_action, reopen_text=reopen_text,
        deadline_history_text=deadline_history_text,
    )


def audit_action(action: str) -> str:
    """An audit action in the reader's language; an action no text names (another area's) as it is."""
    key = f"problems.audit.action.{action}"
    return t(key) if key in TEXTS else action


@bp.get("/problems/<int:problem_id>/diagram.bpmn")
def diagram(problem_id: int) -> Response:
    """The BPMN XML of the diagram version the problem's instance runs (not the newest deployed)."""
    session = get_session()
    if not can_view_problem(session, current_actor(), problem_id):
        abort(404)
    xml = problem_diagram_xml(session, problem_id)
    if xml is None:
        abort(404)
    response = Response(xml, mimetype="application/xml")
    # Read by the viewer's fetch, never to be rendered as a page of this site (a diagram may carry
    # any XML its deployer wrote), as evidence downloads are not.
    response.headers["Content-Security-Policy"] = _XML_CSP
    response.cache_control.private = True  # the diagram a problem runs is not public
    response.cache_control.no_cache = True
    return response

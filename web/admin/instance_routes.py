"""Admin routes: instance search ``/admin/instances``, one instance ``/admin/instances/<id>`` and the
diagram XML of the version it runs ``/admin/instances/<id>/diagram.bpmn``.

Thin: authorise (``admin_required``), call one service (``workflows.admin_instances``), render. The
position on the diagram is drawn by the problem page's script (``problem_diagram.js``) from the same
``diagram-state`` JSON; without JavaScript the list of steps shows it.
"""

from __future__ import annotations

from flask import Response, abort, render_template, request

from engine import InstanceStatus
from workflows.admin_instances import InstanceFilter, instance_detail, instance_diagram_xml, search_instances

from ..db_session import get_session
from ..problems.diagram_state import diagram_state, step_lines
from ..problems.routes import audit_action
from ..services import services
from ..vendor import installed
from .access import admin_required
from .blueprint import bp

_DIAGRAM_FILES = ("bpmn-viewer.js", "bpmn-js.css", "diagram-js.css")
_XML_CSP = "sandbox; default-src 'none'"
_PAGE_DIGITS = 6


def page_number(raw: str | None) -> int:
    """The ``page`` argument; anything but a small positive number is page 1."""
    if raw and raw.isascii() and raw.isdecimal() and len(raw) <= _PAGE_DIGITS:
        return max(1, int(raw))
    return 1


@bp.get("/instances")
@admin_required
def instances() -> str:
    """Instances by business key, problem (ledger number or id), status and process key; 30 a page."""
    query = InstanceFilter(**{name: request.args.get(name, "")[:200] for name in ("business_key", "problem",
                                                                                   "status", "process_key")})
    result = search_instances(get_session(), query, page_number(request.args.get("page")))
    return render_template("admin/instances.html", query=query, result=result,
                           statuses=[s.value for s in InstanceStatus])


@bp.get("/instances/<int:instance_id>")
@admin_required
def instance(instance_id: int) -> str:
    """One instance: its version, diagram position, data, tasks, timers and audit."""
    detail = instance_detail(get_session(), services().workflow_engine, instance_id)
    if detail is None:
        abort(404)
    position = detail.position
    return render_template(
        "admin/instance.html", detail=detail,
        steps=step_lines(position) if position is not None else [],
        state=diagram_state(position) if position is not None else None,
        diagram_ready=all(installed(name) for name in _DIAGRAM_FILES), audit_action=audit_action,
    )


@bp.get("/instances/<int:instance_id>/diagram.bpmn")
@admin_required
def instance_diagram(instance_id: int) -> Response:
    """The BPMN XML of the version the instance runs (read by the viewer's fetch, never rendered)."""
    xml = instance_diagram_xml(get_session(), instance_id)
    if xml is None:
        abort(404)
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Security-Policy"] = _XML_CSP
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response

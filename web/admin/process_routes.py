"""Admin routes: process versions ``GET /admin/processes`` and deploying an uploaded diagram (``POST``).

Thin: authorise (``admin_required``), call one service (``workflows.admin_instances.process_versions`` or
the engine's ``deploy``, which audits each new version), render. A refused diagram deploys nothing and
its every refusal is listed per element.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import DeployError
from workflows.admin_instances import process_versions

from ..auth import current_actor
from ..db_session import get_session
from ..i18n import t
from ..services import services
from .access import admin_required
from .blueprint import bp


@bp.get("/processes")
@admin_required
def processes() -> str:
    """Every process key with its versions and how many running instances use each."""
    return render_template("admin/processes.html", processes=process_versions(get_session()), refusal=None)


@bp.post("/processes")
@admin_required
def deploy() -> Response | tuple[str, int]:
    """Deploy an uploaded ``.bpmn`` file: a new version, "unchanged", or every refusal (nothing deployed)."""
    upload = request.files.get("diagram")
    if upload is None or not upload.filename:
        return _refused_input(t("admin.processes.no_file"))
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
    if not name.lower().endswith(".bpmn"):
        return _refused_input(t("admin.processes.wrong_type"))
    session = get_session()
    try:
        results = services().workflow_engine.deploy(session, upload.read(), name, actor=current_actor().key)
    except DeployError as exc:
        return render_template("admin/processes.html", processes=process_versions(session),
                               refusal=exc, refused_name=name), 422
    for result in results:
        key = "admin.processes.deployed" if result.created else "admin.processes.unchanged"
        flash(t(key, process=result.definition.process_key, version=result.definition.version), "success")
    return redirect(url_for("admin.processes"), code=303)


def _refused_input(message: str) -> tuple[str, int]:
    flash(message, "error")
    return render_template("admin/processes.html", processes=process_versions(get_session()), refusal=None), 400

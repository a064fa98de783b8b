"""Browser libraries installed from npm (``web/assets/package.json``, pinned in its lockfile), served from this site.

Only the files named in ``FILES`` are served, so ``node_modules`` is never browsable. When the
libraries are not installed (``npm ci`` did not run), every page still works: the diagram and
the charts fall back to the server-rendered tables they enhance, and ``/vendor/…`` answers 404.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file
from werkzeug.wrappers import Response

NODE_MODULES = Path(__file__).resolve().parent / "assets" / "node_modules"
# URL name -> file inside node_modules.
FILES: dict[str, str] = {
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "echarts.js": "echarts/dist/echarts.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
# The files change only with the lockfile; a day is long enough to matter and short enough to pick up an upgrade.
MAX_AGE = 24 * 3600

bp = Blueprint("vendor", __name__)


def installed(name: str) -> bool:
    """Whether the library file behind ``/vendor/<name>`` is installed (templates leave it out otherwise)."""
    relative = FILES.get(name)
    return relative is not None and (NODE_MODULES / relative).is_file()


@bp.get("/vendor/<name>")
def asset(name: str) -> Response:
    """One whitelisted library file; 404 for any other name or when it is not installed."""
    if not installed(name):
        abort(404)
    return send_file(NODE_MODULES / FILES[name], max_age=MAX_AGE, conditional=True)

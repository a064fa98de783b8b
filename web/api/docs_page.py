"""``/api/v1/docs``: the API's documentation page — a server-rendered list of its operations, which
``static/api_docs.js`` enhances with Swagger UI (from ``/vendor/``) reading ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template

from ..vendor import installed
from .core import API_PREFIX

bp = Blueprint("api_docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


@bp.get(f"{API_PREFIX}/docs")
def docs() -> Response:
    """The operations of the OpenAPI document as a table, and Swagger UI where its files are installed."""
    spec = current_app.extensions["rectiflow_api"].spec.to_dict()
    operations: list[dict[str, Any]] = [
        {"method": method.upper(), "path": API_PREFIX + path if not path.startswith(API_PREFIX) else path,
         "summary": (item[method].get("summary") or "")}
        for path, item in sorted(spec.get("paths", {}).items()) for method in METHODS if method in item
    ]
    swagger = installed("swagger-ui-bundle.js") and installed("swagger-ui.css")
    response = make_response(render_template("api/docs.html", operations=operations, swagger=swagger))
    # Swagger UI draws its icons from data: images; this page alone allows them (scripts stay 'self' only).
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    return response

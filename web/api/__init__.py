"""The JSON API under ``/api/v1/``: tokens or the browser session, the same rules as the pages, JSON errors,
cursor paging, and the OpenAPI document generated from the schemas that validate the requests."""

from __future__ import annotations

from flask import Flask

from . import (  # noqa: F401  (routes attach themselves to ``bp``)
    event_routes,
    evidence_routes,
    resource_engine_routes,
    resource_routes,
    task_routes,
    token_routes,
)
from .core import bp, init_api
from .docs_page import bp as docs_bp
from .token_page import bp as token_page_bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the API (its blueprint, the OpenAPI document, the docs page, the token page) on ``app``."""
    init_api(app)
    app.register_blueprint(docs_bp)
    app.register_blueprint(token_page_bp)

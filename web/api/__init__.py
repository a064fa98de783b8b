"""The JSON API under ``/api/v1/``: tokens or the browser session, the same rules as the pages, JSON errors,
cursor paging, and the OpenAPI document generated from the schemas that validate the requests."""

from __future__ import annotations

from flask import Flask

from . import evidence_routes, resource_routes, task_routes, token_routes  # noqa: F401
from .core import bp, init_api

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the API (its blueprint, the OpenAPI document, the docs page) on ``app``."""
    init_api(app)

"""Administration in the browser (admin role): people, units, process versions, instances, incidents and
reassignment of any open task. Every admin action is in the audit log."""

from __future__ import annotations

from . import (  # noqa: F401  (routes attach themselves to ``bp``)
    incident_routes,
    instance_routes,
    people_import_routes,
    people_routes,
    process_routes,
    unit_routes,
)
from .blueprint import bp

__all__ = ["bp"]

"""The dashboard (/dashboard): completion by part and unit, overdue and due-soon, closures over time."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

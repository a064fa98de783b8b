"""The task inbox at ``/``: my tasks, tasks I may claim, tasks I did; claim and unclaim."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

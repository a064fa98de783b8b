"""The public page (/public, no sign-in), the feedback form (意见建议) and publishing report snapshots."""

from __future__ import annotations

from . import manage, routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

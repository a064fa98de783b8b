"""API routes: task."""

from __future__ import annotations

from .core import bp  # noqa: F401

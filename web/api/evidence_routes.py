"""API routes: evidence."""

from __future__ import annotations

from .core import bp  # noqa: F401

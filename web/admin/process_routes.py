"""Admin routes: process (thin: parse, authorise, call one service, render)."""

from __future__ import annotations

from .blueprint import bp  # noqa: F401

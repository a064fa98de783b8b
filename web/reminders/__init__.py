"""Reminders (督办提醒) in the app: ``/reminders`` lists the signed-in person's own, marks them read,
and the header shows the unread count on every page."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

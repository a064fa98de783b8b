"""Handing an open task to another person (转办), by a leader of the unit or an administrator.

``panel.reassign_panel`` gives the task page the reassign form's content (``delegation/_form.html``).
"""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

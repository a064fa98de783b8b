"""The task page /tasks/<id>: the problem, its history and the step's form; completing a task.

``access.task_or_404`` is the one way every task route (here, evidence, delegation) loads a task.
"""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

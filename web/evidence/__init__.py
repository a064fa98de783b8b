"""Evidence files (佐证材料): downloads, always as attachments, for those who may see the task.

``uploads`` gives task forms the app's evidence store and turns a request's files into the
domain's ``Upload``s.
"""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

"""Plan and ledger import in the browser (/import): upload, review and correct, confirm or cancel."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

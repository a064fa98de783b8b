"""The ledger (台账) in the browser: /ledger with filters, counters and downloads."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

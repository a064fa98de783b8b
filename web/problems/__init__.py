"""One problem's page: /problems/<id> with its measures, history, evidence, audit and live lifecycle diagram."""

from __future__ import annotations

from . import routes  # noqa: F401  (routes attach themselves to ``bp``)
from .blueprint import bp

__all__ = ["bp"]

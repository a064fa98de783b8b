"""Evidence files (佐证材料): downloads, always as attachments, for those who may see the task."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("evidence", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to ``bp``)

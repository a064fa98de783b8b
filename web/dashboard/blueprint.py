"""The dashboard blueprint and its texts (apart from ``__init__``, so routes import it without a cycle)."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("dashboard", __name__)

"""The tasks area's blueprint, in a module of its own so that routes import it without a cycle."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("tasks", __name__)

"""Handing an open task to another person (转办), by a leader of the unit or an administrator."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("delegation", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to ``bp``)

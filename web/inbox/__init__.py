"""The task inbox at ``/``: my tasks, tasks I may claim, tasks I did; claim and unclaim."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("inbox", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to ``bp``)

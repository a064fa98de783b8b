"""The task page /tasks/<id>: the problem, its history and the step's form; completing a task."""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts import TEXTS

add_texts(TEXTS)
bp = Blueprint("tasks", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to ``bp``)

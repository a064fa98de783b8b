"""The admin blueprint and its texts (apart from ``__init__``, so routes import it without a cycle).

Every route of the area is for administrators only: ``admin_required`` refuses everyone else with 403
(the signed out are sent to sign in first by ``web.auth``).
"""

from __future__ import annotations

from flask import Blueprint

from ..i18n import add_texts
from .texts_people import TEXTS as PEOPLE_TEXTS
from .texts_processes import TEXTS as PROCESS_TEXTS

add_texts(PEOPLE_TEXTS)
add_texts(PROCESS_TEXTS)
bp = Blueprint("admin", __name__, url_prefix="/admin")

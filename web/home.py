"""The page people land on after signing in (later replaced by the task inbox)."""

from __future__ import annotations

from flask import Blueprint, render_template

from workflows.models import Role

from .auth import current_person
from .i18n import role_label

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    person = current_person()
    roles = [role_label(role) for role in Role if person.has_role(role)]  # enum order, not alphabetical
    return render_template("home/index.html", person=person, roles=roles)

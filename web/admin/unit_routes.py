"""Admin routes: units (``/admin/units``): list with their active people, add (code, name), rename.

The services are ``workflows.units`` (``rectiflow units`` calls the same), which check the code and
name and audit each change. A refused code or name shows its message beside the form with 422.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from workflows.errors import DomainError, NotFoundError
from workflows.units import add_unit, rename_unit, unit_rows

from ..auth import current_person
from ..db_session import get_session
from ..i18n import error_text, t
from ..services import services
from .access import admin_required
from .blueprint import bp


@bp.get("/units")
@admin_required
def units() -> str:
    """Every unit (code, name, active people), the add form and a rename form each."""
    return _page()


@bp.post("/units")
@admin_required
def unit_add() -> Any:
    """Add a unit with a unique code and name (audited)."""
    code, name = request.form.get("code", ""), request.form.get("name", "")
    session = get_session()
    try:
        unit = add_unit(session, code, name, actor=current_person().login, at=services().workflow_engine.clock())
    except DomainError as refused:
        session.rollback()
        return _page(add_error=error_text(refused), typed={"code": code, "name": name}), 422
    except IntegrityError:  # the same code or name added by someone else at the same moment
        session.rollback()
        return _page(add_error=t("admin.race"), typed={"code": code, "name": name}), 409
    flash(t("admin.units.added", code=unit.code, name=unit.name), "success")
    return redirect(url_for("admin.units"), 303)


@bp.post("/units/<code>/rename")
@admin_required
def unit_rename(code: str) -> Any:
    """Give the unit a new unique name (audited); an unknown code is a 404."""
    name = request.form.get("name", "")
    session = get_session()
    try:
        unit = rename_unit(session, code, name, actor=current_person().login, at=services().workflow_engine.clock())
    except DomainError as refused:
        session.rollback()
        status = 404 if isinstance(refused, NotFoundError) else 422
        return _page(rename_code=code, rename_error=error_text(refused), rename_typed=name), status
    except IntegrityError:
        session.rollback()
        return _page(rename_code=code, rename_error=t("admin.race"), rename_typed=name), 409
    flash(t("admin.units.renamed", code=unit.code, name=unit.name), "success")
    return redirect(url_for("admin.units"), 303)


def _page(**shown: Any) -> str:
    shown.setdefault("typed", {"code": "", "name": ""})
    return render_template("admin/units.html", units=unit_rows(get_session()), **shown)

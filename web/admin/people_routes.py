"""Admin routes: the overview (``/admin``) and people (``/admin/people``): list, add, edit, deactivate,
activate, reset a password. Bulk import is ``people_import_routes``.

Thin like every route: parse → ``admin_required`` → one service of ``workflows.people_accounts``
(the same the ``rectiflow people`` commands call, each change audited there) → render. Refused input
(empty name, bad role, unknown unit, a login taken) shows its message beside the form with 422 and
saves nothing. A generated password is rendered once in the response, never flashed or stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from workflows.errors import DomainError
from workflows.models import Person, Role, Unit
from workflows.people_accounts import (
    activate,
    add_person,
    deactivate,
    generate_password,
    set_password,
    update_person,
)
from workflows.people_admin import all_units, people_counts, search_people
from workflows.people_fields import parse_roles
from workflows.units import find_unit, unit_or_error

from ..auth import current_person
from ..db_session import get_session
from ..i18n import error_text, t
from ..services import services
from .access import admin_required
from .blueprint import bp

FIELDS = ("login", "name", "unit", "phone", "email")
ACTIVE_FILTERS = {"yes": True, "no": False, "all": None}
# the other admin pages (built in parallel): plain paths, so this page does not depend on their endpoints
OTHER_SECTIONS = (("admin.nav.processes", "/admin/processes"), ("admin.nav.instances", "/admin/instances"),
                  ("admin.nav.incidents", "/admin/incidents"), ("admin.nav.tasks", "/admin/tasks"))


@bp.get("", endpoint="index")
@admin_required
def index() -> str:
    """The overview: how many people and units, and a link to every admin section."""
    return render_template("admin/index.html", counts=people_counts(get_session()), sections=OTHER_SECTIONS)


@bp.get("/people")
@admin_required
def people() -> str:
    """People, searched by login or name and filtered by unit, role and whether active."""
    session = get_session()
    args = request.args
    unit = find_unit(session, args.get("unit", "")) if args.get("unit") else None
    role = _role_or_none(args.get("role", ""))
    active_key = args.get("active", "yes") if args.get("active", "yes") in ACTIVE_FILTERS else "yes"
    found = search_people(session, text=args.get("q", ""), unit=unit, role=role, active=ACTIVE_FILTERS[active_key])
    filters = {"q": args.get("q", ""), "unit": unit.code if unit else "", "role": role.value if role else "",
               "active": active_key}
    return render_template("admin/people.html", people=found, units=all_units(session), roles=list(Role),
                           filters=filters)


@bp.get("/people/new")
@admin_required
def person_new() -> str:
    """The form to add a person."""
    return _person_form()


@bp.post("/people/new")
@admin_required
def person_add() -> Any:
    """Add the person (audited); a generated password is shown once on the answer page."""
    form = _typed()
    typed_password = request.form.get("password", "")
    generated = None if typed_password else generate_password()
    session = get_session()
    try:
        person = add_person(session, login=form["login"], name=form["name"], roles=_roles(),
                            unit=_unit(session, form["unit"]), password=generated or typed_password,
                            phone=form["phone"], email=form["email"], actor=_actor(), at=_now())
    except DomainError as refused:
        session.rollback()
        return _person_form(values=form, roles=request.form.getlist("roles"), error=error_text(refused)), 422
    except IntegrityError:  # someone added the same login at the same moment
        session.rollback()
        return _person_form(values=form, roles=request.form.getlist("roles"), error=t("admin.race")), 409
    return render_template("admin/people_done.html", person=person, password=generated,
                           message=t("admin.people.added", login=person.login))


@bp.get("/people/<int:person_id>")
@admin_required
def person_edit(person_id: int) -> str:
    """One person's details to edit, and the buttons to deactivate or reset the password."""
    person = _person_or_404(person_id)
    return _person_form(person=person)


@bp.post("/people/<int:person_id>")
@admin_required
def person_update(person_id: int) -> Any:
    """Change the name, unit, roles, phone and e-mail (audited when anything changed)."""
    session = get_session()
    person = _person_or_404(person_id)
    form = _typed()
    try:
        changed = update_person(session, person, name=form["name"], unit=_unit(session, form["unit"]),
                                roles=_roles(), phone=form["phone"], email=form["email"], actor=_actor(),
                                at=_now())
    except DomainError as refused:
        session.rollback()
        person = _person_or_404(person_id)
        return _person_form(person=person, values=form, roles=request.form.getlist("roles"),
                            error=error_text(refused)), 422
    flash(t("admin.people.updated", login=person.login) if changed else t("admin.people.unchanged"), "success")
    return redirect(url_for("admin.person_edit", person_id=person.id), 303)


@bp.post("/people/<int:person_id>/deactivate")
@admin_required
def person_deactivate(person_id: int) -> Any:
    """Stop the person signing in and end their sessions (not the last administrator)."""
    session = get_session()
    person = _person_or_404(person_id)
    try:
        ended = deactivate(session, person, actor=_actor(), at=_now())
    except DomainError as refused:
        session.rollback()
        return _person_form(person=_person_or_404(person_id), error=error_text(refused)), 422
    message = (t("admin.people.already_inactive", login=person.login) if ended is None
               else t("admin.people.deactivated", login=person.login, ended=ended))
    flash(message, "success")
    return redirect(url_for("admin.person_edit", person_id=person.id), 303)


@bp.post("/people/<int:person_id>/activate")
@admin_required
def person_activate(person_id: int) -> Response:
    """Let a deactivated person sign in again (audited)."""
    person = _person_or_404(person_id)
    changed = activate(get_session(), person, actor=_actor(), at=_now())
    flash(t("admin.people.activated" if changed else "admin.people.already_active", login=person.login), "success")
    return redirect(url_for("admin.person_edit", person_id=person.id), 303)


@bp.post("/people/<int:person_id>/password")
@admin_required
def person_password(person_id: int) -> Any:
    """Set a typed password, or a generated one shown once; every session of the person ends."""
    session = get_session()
    person = _person_or_404(person_id)
    typed = request.form.get("password", "")
    try:
        generated, ended = set_password(session, person, typed or None, actor=_actor(), at=_now())
    except DomainError as refused:
        session.rollback()
        return _person_form(person=_person_or_404(person_id), password_error=error_text(refused)), 422
    return render_template("admin/people_done.html", person=person, password=generated,
                           message=t("admin.people.password_set", login=person.login, ended=ended))


def _person_form(*, person: Person | None = None, values: dict[str, str] | None = None,
                 roles: list[str] | None = None, error: str | None = None,
                 password_error: str | None = None) -> str:
    """The add form (``person`` None) or the edit page, with what was typed and the refusal if any."""
    if values is None:
        values = {"login": person.login, "name": person.name, "unit": person.unit.code if person.unit else "",
                  "phone": person.phone or "", "email": person.email or ""} if person else dict.fromkeys(FIELDS, "")
    if roles is None:
        roles = sorted(r.value for r in person.roles) if person else [Role.OFFICER.value]
    return render_template("admin/people_form.html", person=person, values=values, checked=set(roles),
                           roles=list(Role), units=all_units(get_session()), error=error,
                           password_error=password_error)


def _typed() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS}


def _roles() -> frozenset[Role]:
    """The ticked roles; ``ValidationError`` (shown beside the form) for none or an unknown one."""
    return parse_roles(request.form.getlist("roles") or [""])


def _unit(session: Session, code: str) -> Unit | None:
    """The chosen unit (none when left empty); ``NotFoundError`` for a code that is not a unit."""
    return unit_or_error(session, code) if code.strip() else None


def _role_or_none(value: str) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        return None


def _person_or_404(person_id: int) -> Person:
    person = get_session().get(Person, person_id)
    if person is None:
        abort(404)
    return person


def _actor() -> str:
    return current_person().login


def _now() -> datetime:
    return services().workflow_engine.clock()

"""Units and people: the organisation the processes run through."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import Actor

from .errors import ValidationError
from .models import Person, Role, Unit

MIN_PASSWORD = 8


def create_unit(session: Session, code: str, name: str) -> Unit:
    """Add a unit; codes and names are unique."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ValidationError("a unit needs a code and a name")
    if session.scalar(select(Unit).where((Unit.code == code) | (Unit.name == name))) is not None:
        raise ValidationError(f"unit {code} / {name} already exists")
    unit = Unit(code=code, name=name)
    session.add(unit)
    session.flush()
    return unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, if any."""
    return session.scalar(select(Unit).where(Unit.code == code))


def unit_by_name(session: Session, name: str) -> Unit | None:
    """The unit with this exact name, if any."""
    return session.scalar(select(Unit).where(Unit.name == name.strip()))


def create_person(
    session: Session,
    *,
    login: str,
    name: str,
    password: str,
    roles: Iterable[Role | str],
    unit: Unit | None = None,
) -> Person:
    """Add a person who can sign in; the password is stored hashed."""
    login = login.strip()
    if not login or not name.strip():
        raise ValidationError("a person needs a login and a name")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        role_set = {Role(r) for r in roles}
    except ValueError as exc:
        raise ValidationError(f"unknown role: {exc}") from None
    if session.scalar(select(Person).where(Person.login == login)) is not None:
        raise ValidationError(f"login {login} is taken")
    person = Person(login=login, name=name.strip(), password_hash=generate_password_hash(password), unit=unit)
    person.roles = role_set
    session.add(person)
    session.flush()
    return person


def person_by_login(session: Session, login: str) -> Person | None:
    """The person with this login, if any."""
    return session.scalar(select(Person).where(Person.login == login))


def authenticate(session: Session, login: str, password: str) -> Person | None:
    """The active person with this login and password, or None."""
    person = person_by_login(session, login.strip())
    if person is None or not person.active or not check_password_hash(person.password_hash, password):
        return None
    return person


def actor_for(person: Person) -> Actor:
    """How the engine sees this person: login, roles as groups, unit as the unit key."""
    units = frozenset({person.unit.code}) if person.unit is not None else frozenset()
    return Actor(person.login, groups=frozenset(r.value for r in person.roles), units=units)

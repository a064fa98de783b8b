"""Units and people: the organisation the processes run through."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import Actor
from engine.audit import record

from .errors import NotFoundError, ValidationError
from .models import Person, Role, Unit
from .user_sessions import end_all_sessions

MIN_PASSWORD = 8
LOGIN_MAX = 100  # Person.login's column size


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
    """The person with this login, if any (None for text that cannot be a login, without a query)."""
    if not could_be_login(login):
        return None
    return session.scalar(select(Person).where(Person.login == login))


def active_person_by_login(session: Session, login: str) -> Person | None:
    """The active person with this login; None for an unknown, inactive or impossible login."""
    person = person_by_login(session, login)
    return person if person is not None and person.active else None


def authenticate(session: Session, login: str, password: str) -> Person | None:
    """The active person with this login and password, or None.

    An unknown or inactive login costs one password hash like a wrong password does,
    so the time taken does not tell which logins exist.
    """
    login = login.strip()
    person = active_person_by_login(session, login)
    if person is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(person.password_hash, password):
        return None
    return person


def could_be_login(text: str) -> bool:
    """Whether ``text`` fits the login column: not too long, no control characters.

    Anything else cannot name a person, and PostgreSQL would refuse a NUL in the query.
    """
    return 0 < len(text) <= LOGIN_MAX and not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def change_password(session: Session, person: Person, new_password: str, *, actor: str, at: datetime) -> int:
    """Set ``person``'s password and end every session they have open; returns how many were ended.

    Whoever held an old session cookie (a copy, a forgotten browser) must sign in again.
    """
    if len(new_password) < MIN_PASSWORD:
        raise ValidationError(f"the password must have at least {MIN_PASSWORD} characters")
    person.password_hash = generate_password_hash(new_password)
    ended = end_all_sessions(session, person)
    record(session, at=at, actor=actor, action="password_changed", detail={"login": person.login,
                                                                          "sessions_ended": ended})
    session.flush()
    return ended


def deactivate_person(session: Session, person: Person, *, actor: str, at: datetime) -> int:
    """Stop ``person`` from signing in and end their open sessions; returns how many were ended."""
    person.active = False
    ended = end_all_sessions(session, person)
    record(session, at=at, actor=actor, action="person_deactivated", detail={"login": person.login,
                                                                            "sessions_ended": ended})
    session.flush()
    return ended


def actor_for(person: Person) -> Actor:
    """How the engine sees this person: login, roles as groups, unit as the unit key."""
    units = frozenset({person.unit.code}) if person.unit is not None else frozenset()
    return Actor(person.login, groups=frozenset(r.value for r in person.roles), units=units)


def actor_by_login(session: Session, login: str) -> Actor:
    """The actor of the active person with this login; ``NotFoundError`` for an unknown or inactive login.

    The one way a command, a job or a request turns a login into someone who acts.
    """
    person = active_person_by_login(session, login)
    if person is None:
        raise NotFoundError(f"no active person with login '{login}'")
    return actor_for(person)


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")

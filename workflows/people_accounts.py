"""What an administrator does to people's accounts: add, update, roles, deactivate, passwords.

Every change is audited under the administrator who made it. Before the first administrator
exists nobody could be that actor, so the literal login ``admin`` is accepted while no active
administrator exists (as ``rectiflow deploy`` records its actor as given): that is how the
first people are added. The last active administrator can neither be deactivated nor lose the
role, so the organisation can always be managed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor
from engine.audit import record

from .errors import NotFoundError, ValidationError
from .models import Person, Role, Unit
from .people import (
    active_person_by_login,
    actor_for,
    change_password,
    create_person,
    deactivate_person,
    person_by_login,
)
from .people_fields import check, email_problem, login_problem, name_problem, phone_problem, shown

BOOTSTRAP_ACTOR = "admin"
# no 0/O, 1/l/I: a generated password is read off a screen and typed in
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 16  # ~93 bits


def generate_password() -> str:
    """A random password of ``PASSWORD_LENGTH`` characters that are easy to read and type."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def active_admins(session: Session) -> list[Person]:
    """Every active person with the admin role."""
    people = session.scalars(select(Person).where(Person.active.is_(True),
                                                  Person.roles_text.contains(Role.ADMIN.value)))
    return [p for p in people if p.has_role(Role.ADMIN)]


def admin_login(session: Session, login: str) -> str:
    """The login to record changes to people and units under: an active administrator's.

    While no active administrator exists, the literal ``admin`` is accepted (bootstrapping).
    """
    person = active_person_by_login(session, login)
    if person is not None:
        if not person.has_role(Role.ADMIN):
            raise ValidationError(f"{person.login} is not an administrator: only an administrator "
                                  "manages people and units")
        return person.login
    if login == BOOTSTRAP_ACTOR and not active_admins(session):
        return login
    raise NotFoundError(f"no active administrator with login '{shown(login, 60)}'")


def office_actor(session: Session, login: str) -> Actor:
    """Who runs an office command (import a plan, fill it in, import a ledger): the active person
    with ``login``; while no active administrator and nobody called ``admin`` exist, the literal ``admin``, so that
    ``init-db`` → ``import-plan`` works before anyone has been added."""
    person = active_person_by_login(session, login)
    if person is not None:
        return actor_for(person)
    # a deactivated person named ``admin`` stays deactivated: the literal is for a database without one
    if login == BOOTSTRAP_ACTOR and not active_admins(session) and person_by_login(session, login) is None:
        return Actor(BOOTSTRAP_ACTOR, groups=frozenset({Role.ADMIN.value}))
    raise NotFoundError(f"no active person with login '{shown(login, 60)}'")


def person_or_error(session: Session, login: str) -> Person:
    """The person with this login (active or not), or ``NotFoundError``."""
    person = person_by_login(session, login.strip())
    if person is None:
        raise NotFoundError(f"no person with login '{shown(login.strip(), 60)}'")
    return person


def add_person(
    session: Session,
    *,
    login: str,
    name: str,
    roles: Iterable[Role],
    unit: Unit | None,
    password: str,
    phone: str | None = None,
    email: str | None = None,
    actor: str,
    at: datetime,
) -> Person:
    """Add a person who can sign in, after checking every field; audited (without the password)."""
    login, name = login.strip(), name.strip()
    phone, email = (phone or "").strip(), (email or "").strip()
    check(login_problem(login), name_problem(name), phone_problem(phone), email_problem(email))
    person = create_person(session, login=login, name=name, password=password, roles=roles, unit=unit)
    person.phone, person.email = phone or None, email or None
    record(session, at=at, actor=actor, action="person_added", detail=_describe(person))
    session.flush()
    return person


def update_person(
    session: Session,
    person: Person,
    *,
    name: str,
    unit: Unit | None,
    roles: Iterable[Role],
    phone: str | None,
    email: str | None,
    actor: str,
    at: datetime,
) -> list[str]:
    """Set the person's name, unit, roles, phone and e-mail; returns the fields that changed.

    The password and whether the person is active are left as they are. Audited when anything changed.
    """
    name, phone, email = name.strip(), (phone or "").strip() or None, (email or "").strip() or None
    check(name_problem(name), phone_problem(phone or ""), email_problem(email or ""))
    new_roles = frozenset(roles)
    _keep_an_admin(session, person, new_roles, person.active)
    before = _describe(person)
    person.name, person.unit, person.phone, person.email = name, unit, phone, email
    person.roles = new_roles
    after = _describe(person)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        record(session, at=at, actor=actor, action="person_updated",
               detail={"login": person.login, **{key: [before[key], after[key]] for key in changed}})
    session.flush()
    return changed


def set_roles(session: Session, person: Person, roles: Iterable[Role], *, actor: str, at: datetime) -> None:
    """Replace the person's roles; audited. The last active administrator keeps the admin role."""
    new_roles = frozenset(roles)
    if not new_roles:
        raise ValidationError("a person needs at least one role")
    _keep_an_admin(session, person, new_roles, person.active)
    old = sorted(r.value for r in person.roles)
    person.roles = new_roles
    record(session, at=at, actor=actor, action="person_roles_changed",
           detail={"login": person.login, "roles": [old, sorted(r.value for r in new_roles)]})
    session.flush()


def deactivate(session: Session, person: Person, *, actor: str, at: datetime) -> int | None:
    """Deactivate the person and end their sessions (how many: the result); ``None`` if already inactive.

    The last active administrator cannot be deactivated.
    """
    if not person.active:
        return None
    _keep_an_admin(session, person, person.roles, False)
    return deactivate_person(session, person, actor=actor, at=at)


def activate(session: Session, person: Person, *, actor: str, at: datetime) -> bool:
    """Let a deactivated person sign in again; ``False`` if they already could. Audited."""
    if person.active:
        return False
    person.active = True
    record(session, at=at, actor=actor, action="person_activated", detail={"login": person.login})
    session.flush()
    return True


def set_password(
    session: Session, person: Person, password: str | None, *, actor: str, at: datetime
) -> tuple[str | None, int]:
    """Set the given password, or a generated one; returns (the generated password or ``None``,
    sessions ended). Every open session of the person ends; audited without the password."""
    generated = generate_password() if password is None else None
    ended = change_password(session, person, generated or password or "", actor=actor, at=at)
    return generated, ended


def list_people(
    session: Session, *, unit: Unit | None = None, role: Role | None = None, include_inactive: bool = False
) -> list[Person]:
    """People by login: of ``unit``, with ``role``, active only unless ``include_inactive``."""
    query = select(Person).order_by(Person.login)
    if unit is not None:
        query = query.where(Person.unit_id == unit.id)
    if not include_inactive:
        query = query.where(Person.active.is_(True))
    people = list(session.scalars(query))
    return [p for p in people if role is None or p.has_role(role)]


def _keep_an_admin(session: Session, person: Person, roles: frozenset[Role], active: bool) -> None:
    """Refuse a change that would leave no active administrator."""
    if not (person.active and person.has_role(Role.ADMIN)) or (active and Role.ADMIN in roles):
        return
    if not [p for p in active_admins(session) if p.id != person.id]:
        raise ValidationError(f"{person.login} is the last active administrator: add another "
                              "administrator first")


def _describe(person: Person) -> dict[str, Any]:
    return {"login": person.login, "name": person.name, "unit": person.unit.code if person.unit else None,
            "roles": sorted(r.value for r in person.roles), "phone": person.phone, "email": person.email}

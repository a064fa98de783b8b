"""What the admin pages ask of people that the command line does not: a search and the overview's counts.

Every change to people and units goes through ``people_accounts``, ``units`` and ``people_import``;
this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import Person, Role, Unit

MAX_SEARCH = 100  # characters of a search: longer text cannot match a login or a name


@dataclass(frozen=True)
class PeopleCounts:
    """How many people are active and deactivated, and how many units there are."""

    active: int
    inactive: int
    units: int


def search_people(
    session: Session, *, text: str = "", unit: Unit | None = None, role: Role | None = None,
    active: bool | None = None,
) -> list[Person]:
    """People by login whose login or name contains ``text`` (any case), of ``unit``, with ``role``,
    active or not (``None``: both)."""
    query = select(Person).order_by(Person.login)
    text = text.strip()[:MAX_SEARCH].replace("\x00", "")
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        query = query.where(or_(func.lower(Person.login).like(pattern, escape="\\"),
                                func.lower(Person.name).like(pattern, escape="\\")))
    if unit is not None:
        query = query.where(Person.unit_id == unit.id)
    if active is not None:
        query = query.where(Person.active.is_(active))
    return [p for p in session.scalars(query) if role is None or p.has_role(role)]


def people_counts(session: Session) -> PeopleCounts:
    """The overview's numbers (two queries)."""
    by_state: dict[bool, int] = {bool(active): int(n) for active, n in session.execute(
        select(Person.active, func.count(Person.id)).group_by(Person.active))}
    units = session.scalar(select(func.count(Unit.id))) or 0
    return PeopleCounts(int(by_state.get(True, 0)), int(by_state.get(False, 0)), int(units))


def all_units(session: Session) -> list[Unit]:
    """Every unit by code, for the unit choices of the forms."""
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

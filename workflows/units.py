"""Managing units by hand or from a sheet: add, rename, find by code or name, count their people.

``workflows.people.create_unit`` stays the plain constructor (plan imports and the demo use
it); the functions here are what an administrator does, and each change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import record

from .errors import NotFoundError, ValidationError
from .models import Person, Unit
from .people import create_unit, unit_by_code
from .people_fields import check, shown, unit_code_problem, unit_name_problem

GENERATED_CODE = "U{:03d}"  # the codes --add-units gives: U001, U002, …


@dataclass(frozen=True)
class UnitRow:
    """A unit and how many active people belong to it."""

    code: str
    name: str
    active_people: int


def find_unit(session: Session, code_or_name: str) -> Unit | None:
    """The unit with this code, else the unit with this name; ``None`` if neither exists."""
    text = code_or_name.strip()
    if not text or unit_name_problem(text):  # e.g. a NUL: PostgreSQL refuses it even in a query
        return None
    return session.scalar(select(Unit).where(Unit.code == text)) or session.scalar(
        select(Unit).where(Unit.name == text))


def unit_or_error(session: Session, code_or_name: str) -> Unit:
    """``find_unit`` or ``NotFoundError`` naming what was asked for."""
    unit = find_unit(session, code_or_name)
    if unit is None:
        raise NotFoundError(f"no unit with code or name '{shown(code_or_name.strip(), 60)}'"
                            " (add it with 'rectiflow units add CODE NAME')")
    return unit


def add_unit(session: Session, code: str, name: str, *, actor: str, at: datetime) -> Unit:
    """Add a unit with a unique code and name; audited."""
    code, name = code.strip(), name.strip()
    check(unit_code_problem(code), unit_name_problem(name))
    clash = session.scalar(select(Unit).where((Unit.code == code) | (Unit.name == name)))
    if clash is not None:
        raise ValidationError(f"unit {clash.code} ({clash.name}) already exists")
    unit = create_unit(session, code, name)
    record(session, at=at, actor=actor, action="unit_added", detail={"code": unit.code, "name": unit.name})
    return unit


def rename_unit(session: Session, code: str, new_name: str, *, actor: str, at: datetime) -> Unit:
    """Give the unit with ``code`` a new (unique) name; audited."""
    new_name = new_name.strip()
    check(unit_name_problem(new_name))
    unit = unit_by_code(session, code.strip()) if not unit_code_problem(code.strip()) else None
    if unit is None:
        raise NotFoundError(f"no unit with code '{shown(code.strip(), 60)}'")
    other = session.scalar(select(Unit).where(Unit.name == new_name, Unit.id != unit.id))
    if other is not None:
        raise ValidationError(f"the name {new_name} already belongs to unit {other.code}")
    old = unit.name
    unit.name = new_name
    record(session, at=at, actor=actor, action="unit_renamed",
           detail={"code": unit.code, "old_name": old, "name": new_name})
    session.flush()
    return unit


def unit_rows(session: Session) -> list[UnitRow]:
    """Every unit by code, with its number of active people (one query)."""
    counts = (select(Person.unit_id, func.count(Person.id).label("n"))
              .where(Person.active.is_(True)).group_by(Person.unit_id).subquery())
    rows = session.execute(select(Unit.code, Unit.name, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.unit_id == Unit.id).order_by(Unit.code))
    return [UnitRow(code, name, int(n)) for code, name, n in rows]


def free_codes(session: Session, count: int) -> list[str]:
    """``count`` generated codes (U001, U002, …) that no unit has yet."""
    taken = set(session.scalars(select(Unit.code).where(Unit.code.like("U%"))))
    codes: list[str] = []
    n = 0
    while len(codes) < count:
        n += 1
        code = GENERATED_CODE.format(n)
        if code not in taken:
            codes.append(code)
    return codes


def add_units_named(session: Session, names: Iterable[str], *, actor: str, at: datetime) -> list[Unit]:
    """A new unit for each of ``names`` with a generated code (``free_codes``); audited."""
    wanted = list(dict.fromkeys(n.strip() for n in names))
    return [add_unit(session, code, name, actor=actor, at=at)
            for code, name in zip(free_codes(session, len(wanted)), wanted, strict=True)]

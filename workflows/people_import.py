"""Importing a people sheet: every row checked first, then all of it written or none.

New logins become people with a generated password (returned once, never stored in clear);
existing logins are updated (name, unit, roles, phone, e-mail; never the password). A unit is
named by its code or its name; with ``add_units`` a name that matches no unit becomes a new
unit with a generated code (U001, …). Errors name the spreadsheet row (``第N行：…``, the header
counted), one line per bad row, all of them, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import ValidationError
from .models import Person, Role, Unit
from .people_accounts import active_admins, add_person, generate_password, update_person
from .people_fields import (
    MAX_ROLES,
    email_problem,
    login_problem,
    name_problem,
    phone_problem,
    roles_problem,
    shown,
    split_role_words,
    text_problem,
    unit_name_problem,
)
from .people_sheet import SheetRow, read_people_sheet
from .units import add_unit, find_unit, free_codes

_CHUNK = 500  # logins per lookup query: well under every database's parameter limit


class PeopleImportError(ValidationError):
    """A sheet that cannot be imported; ``errors`` has one line per bad row."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(errors)} row(s) with errors; nothing was imported")


@dataclass
class PlannedPerson:
    """One checked row: who it adds or updates, and what it sets."""

    no: int
    login: str
    name: str
    unit: Unit | None
    new_unit: str | None  # the name of a unit this import creates for the row
    roles: frozenset[Role]
    phone: str
    email: str
    existing: Person | None
    changes: list[str] = field(default_factory=list)  # for an existing person: fields that change


@dataclass
class PeopleImportPlan:
    """A checked sheet: the people it adds and updates, and the units it creates (code, name)."""

    people: list[PlannedPerson]
    new_units: list[tuple[str, str]]

    @property
    def additions(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.existing is None]

    @property
    def updates(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.existing is not None and p.changes]

    @property
    def unchanged(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.existing is not None and not p.changes]


@dataclass
class PeopleImportResult:
    """What an import did: people added (login, name, generated password), updated, units added."""

    added: list[tuple[str, str, str]]
    updated: list[tuple[str, list[str]]]
    unchanged: list[str]
    units_added: list[tuple[str, str]]


def check_people_sheet(session: Session, rows: list[SheetRow], *, add_units: bool) -> PeopleImportPlan:
    """Check every row; ``PeopleImportError`` listing every bad row, else the plan. Writes nothing."""
    if not rows:
        raise ValidationError("the sheet lists nobody: its rows under the header (表头) are empty")
    checker = _Checker(session, add_units)
    planned = [p for row in rows if (p := checker.row(row)) is not None]
    checker.find_existing(planned)
    checker.check_admins(planned)
    if checker.errors:
        raise PeopleImportError(checker.errors)
    names = list(dict.fromkeys(p.new_unit for p in planned if p.new_unit))
    return PeopleImportPlan(planned, list(zip(free_codes(session, len(names)), names, strict=True)))


def apply_people_import(session: Session, plan: PeopleImportPlan, *, actor: str, at: datetime) -> PeopleImportResult:
    """Write a checked plan: units, then new people (generated passwords), then updates. Only flushes."""
    result = PeopleImportResult([], [], [p.login for p in plan.unchanged], [])
    with session.begin_nested():  # all or nothing, even if a write fails after the checks
        created = {name: add_unit(session, code, name, actor=actor, at=at) for code, name in plan.new_units}
        result.units_added = list(plan.new_units)
        for p in plan.additions:  # before updates: a new administrator lets an old one step down
            password = generate_password()
            add_person(session, login=p.login, name=p.name, roles=p.roles, password=password,
                       unit=created[p.new_unit] if p.new_unit else p.unit, phone=p.phone, email=p.email,
                       actor=actor, at=at)
            result.added.append((p.login, p.name, password))
        for p in plan.updates:
            assert p.existing is not None
            changed = update_person(session, p.existing, name=p.name, roles=p.roles, phone=p.phone,
                                    email=p.email, unit=created[p.new_unit] if p.new_unit else p.unit,
                                    actor=actor, at=at)
            result.updated.append((p.login, changed))
    return result


def import_people(session: Session, path: Path, *, add_units: bool, actor: str, at: datetime) -> PeopleImportResult:
    """Read, check and apply a people sheet (.xlsx or .csv); see ``check_people_sheet``."""
    plan = check_people_sheet(session, read_people_sheet(path), add_units=add_units)
    return apply_people_import(session, plan, actor=actor, at=at)


class _Checker:
    """Checks rows one by one, remembering logins seen and units looked up."""

    def __init__(self, session: Session, add_units: bool) -> None:
        self.session, self.add_units = session, add_units
        self.errors: list[str] = []
        self.seen: dict[str, int] = {}
        self.units: dict[str, Unit | None] = {}

    def row(self, row: SheetRow) -> PlannedPerson | None:
        values = row.values
        login, name, unit_text, role_text = (values.get(c, "") for c in ("登录名", "姓名", "单位", "角色"))
        phone, email = values.get("手机", ""), values.get("邮箱", "")
        if row.problems:  # a formula or an error value: its text means nothing
            self.errors.append(f"第{row.no}行：{'；'.join(row.problems)}")
            return None
        problems = [p for p in (login_problem(login), name_problem(name), phone_problem(phone),
                                email_problem(email)) if p]
        roles, role_problem = roles_problem(split_role_words(role_text))
        role_problem = text_problem("角色", role_text, MAX_ROLES) or role_problem
        unit, new_unit, unit_problem = self.unit(unit_text)
        problems += [p for p in (role_problem, unit_problem) if p]
        if not login_problem(login):
            if login in self.seen:
                problems.append(f"登录名 {shown(login)} 与第{self.seen[login]}行重复")
            self.seen.setdefault(login, row.no)
        if problems:
            self.errors.append(f"第{row.no}行：{'；'.join(problems)}")
            return None
        return PlannedPerson(row.no, login, name, unit, new_unit, roles, phone, email, None)

    def unit(self, text: str) -> tuple[Unit | None, str | None, str | None]:
        """(the unit, the name of a unit to create, why the cell cannot be used)."""
        if not text:
            return None, None, None
        problem = unit_name_problem(text)
        if problem:
            return None, None, problem
        if text not in self.units:
            self.units[text] = find_unit(self.session, text)
        unit = self.units[text]
        if unit is not None:
            return unit, None, None
        if self.add_units:
            return None, text, None
        return None, None, f"单位“{shown(text)}”不存在（先用 rectiflow units add 添加，或导入时加 --add-units）"

    def find_existing(self, planned: list[PlannedPerson]) -> None:
        """Mark the rows whose login exists, with the fields they change (a query per 500 logins)."""
        logins = [p.login for p in planned]
        existing: dict[str, Person] = {}
        for start in range(0, len(logins), _CHUNK):
            query = select(Person).where(Person.login.in_(logins[start:start + _CHUNK]))
            existing.update((person.login, person) for person in self.session.scalars(query))
        for p in planned:
            p.existing = existing.get(p.login)
            if p.existing is not None:
                p.changes = _changes(p.existing, p)

    def check_admins(self, planned: list[PlannedPerson]) -> None:
        """Refuse a sheet that takes the admin role from every active administrator."""
        before = active_admins(self.session)
        by_login = {p.login: p for p in planned}
        after = [a for a in before if a.login not in by_login or Role.ADMIN in by_login[a.login].roles]
        after_new = [p for p in planned if p.existing is None and Role.ADMIN in p.roles]
        if before and not after and not after_new:
            for admin in before:
                self.errors.append(f"第{by_login[admin.login].no}行：{admin.login} 是最后一位管理员，"
                                   "不能去掉管理员角色（先添加另一位管理员）")


def _changes(person: Person, planned: PlannedPerson) -> list[str]:
    unit = planned.unit
    changed = []
    if person.name != planned.name:
        changed.append("name")
    if planned.new_unit is not None or (unit.id if unit else None) != person.unit_id:
        changed.append("unit")
    if person.roles != planned.roles:
        changed.append("roles")
    if (person.phone or "") != planned.phone:
        changed.append("phone")
    if (person.email or "") != planned.email:
        changed.append("email")
    return changed

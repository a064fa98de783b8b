"""``people``: who signs in — add, list, roles, deactivate, passwords, and a sheet to import many.

A password this command generates is printed once and never again (only its hash is stored);
a password someone typed is never printed. Every change is audited under ``--user``, an active
administrator ('admin' is accepted until one exists, so the first people can be added).
The ``units`` group (``web.cli.units``) is registered from here too.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import click

from web.services import Services
from workflows.models import Person
from workflows.people_accounts import (
    activate,
    add_person,
    admin_login,
    deactivate,
    generate_password,
    list_people,
    person_or_error,
    set_password,
    set_roles,
)
from workflows.people_fields import ROLE_HELP, parse_roles
from workflows.people_import import (
    PeopleImportError,
    PeopleImportPlan,
    PeopleImportResult,
    apply_people_import,
    check_people_sheet,
)
from workflows.people_sheet import COLUMNS, read_people_sheet, write_template
from workflows.units import unit_or_error

from . import units
from .app_context import pass_services
from .failures import fail, failures
from .tables import table

USER_HELP = "the administrator making the change (for the audit log; 'admin' until one exists)"
ROLE_OPTION_HELP = f"a role (repeat, or separate with 、 , ; / for several): {ROLE_HELP}"


def roles_text(person: Person) -> str:
    return ",".join(sorted(r.value for r in person.roles))


@click.group()
def people() -> None:
    """Add, list and change the people who sign in (see also 'units')."""


@people.command("add")
@click.argument("login")
@click.option("--name", required=True, help="the person's full name")
@click.option("--unit", "unit_text", help="the person's unit: its code or its name")
@click.option("--role", "role_words", multiple=True, required=True, help=ROLE_OPTION_HELP)
@click.option("--phone", help="mobile number (digits, +, -, spaces)")
@click.option("--email", help="e-mail address")
@click.option("--password", help="the sign-in password (default: a generated one, printed once)")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def add_command(found: Services, login: str, name: str, unit_text: str | None, role_words: tuple[str, ...],
                phone: str | None, email: str | None, password: str | None, actor_login: str) -> None:
    """Add a person who can sign in (the first administrator: --role admin)."""
    generated = generate_password() if password is None else None
    with failures(), found.unit_of_work() as session:
        actor = admin_login(session, actor_login)
        unit = unit_or_error(session, unit_text) if unit_text else None
        person = add_person(session, login=login, name=name, roles=parse_roles(role_words), unit=unit,
                            password=generated or password or "", phone=phone, email=email,
                            actor=actor, at=found.workflow_engine.clock())
        line = f"person {person.login} added: {roles_text(person)}"
    click.echo(line)
    if generated:
        click.echo(f"password (shown only now): {generated}")


@people.command("list")
@click.option("--unit", "unit_text", help="only this unit (code or name)")
@click.option("--role", "role_word", help="only people with this role")
@click.option("--all", "include_inactive", is_flag=True, help="include deactivated people")
@pass_services
def list_command(found: Services, unit_text: str | None, role_word: str | None, include_inactive: bool) -> None:
    """List people: login, name, unit, roles, phone, e-mail, active."""
    with failures(), found.unit_of_work() as session:
        unit = unit_or_error(session, unit_text) if unit_text else None
        roles = parse_roles([role_word]) if role_word else frozenset()
        if len(roles) > 1:
            fail("--role takes one role")
        role = next(iter(roles), None)
        rows = [[p.login, p.name, p.unit.name if p.unit else "", roles_text(p), p.phone or "", p.email or "",
                 "yes" if p.active else "no"]
                for p in list_people(session, unit=unit, role=role, include_inactive=include_inactive)]
    table(["login", "name", "unit", "roles", "phone", "email", "active"], rows)


@people.command("set-role")
@click.argument("login")
@click.option("--role", "role_words", multiple=True, required=True, help=ROLE_OPTION_HELP)
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def set_role_command(found: Services, login: str, role_words: tuple[str, ...], actor_login: str) -> None:
    """Replace the roles of the person LOGIN with the ones given."""
    with failures(), found.unit_of_work() as session:
        actor = admin_login(session, actor_login)
        person = person_or_error(session, login)
        set_roles(session, person, parse_roles(role_words), actor=actor, at=found.workflow_engine.clock())
        line = f"person {person.login}: {roles_text(person)}"
    click.echo(line)


@people.command("deactivate")
@click.argument("login")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def deactivate_command(found: Services, login: str, actor_login: str) -> None:
    """Stop the person LOGIN from signing in and end their open sessions (their history stays)."""
    with failures(), found.unit_of_work() as session:
        actor = admin_login(session, actor_login)
        person = person_or_error(session, login)
        ended = deactivate(session, person, actor=actor, at=found.workflow_engine.clock())
        line = (f"person {person.login} is already deactivated" if ended is None
                else f"person {person.login} deactivated ({ended} session(s) ended)")
    click.echo(line)


@people.command("activate")
@click.argument("login")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def activate_command(found: Services, login: str, actor_login: str) -> None:
    """Let a deactivated person LOGIN sign in again (with their old password)."""
    with failures(), found.unit_of_work() as session:
        actor = admin_login(session, actor_login)
        person = person_or_error(session, login)
        changed = activate(session, person, actor=actor, at=found.workflow_engine.clock())
        line = f"person {person.login} {'activated' if changed else 'is already active'}"
    click.echo(line)


@people.command("set-password")
@click.argument("login")
@click.option("--password", help="the new password (at least 8 characters)")
@click.option("--generate", is_flag=True, help="generate one and print it once (the default)")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def set_password_command(found: Services, login: str, password: str | None, generate: bool,
                         actor_login: str) -> None:
    """Set the password of LOGIN (given, or generated and printed once); their sessions end."""
    if password is not None and generate:
        fail("give --password or --generate, not both")
    with failures(), found.unit_of_work() as session:
        actor = admin_login(session, actor_login)
        person = person_or_error(session, login)
        generated, ended = set_password(session, person, password, actor=actor, at=found.workflow_engine.clock())
        line = f"password of {person.login} changed ({ended} session(s) ended)"
    click.echo(line)
    if generated:
        click.echo(f"password (shown only now): {generated}")


@people.command("template")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write: .xlsx (with a 说明 sheet) or .csv")
def template_command(output: Path) -> None:
    """Write an empty people sheet to fill in and import (columns 登录名, 姓名, 单位, 角色, 手机, 邮箱)."""
    with failures():
        write_template(output)
    click.echo(f"{output}: header {'、'.join(COLUMNS)}")


@people.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--add-units", is_flag=True, help="create the units the sheet names that do not exist")
@click.option("--dry-run", is_flag=True, help="check every row and show what would change; write nothing")
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="write the new people's passwords to this new .csv file instead of the screen")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def import_command(found: Services, file: Path, add_units: bool, dry_run: bool, passwords_out: Path | None,
                   actor_login: str) -> None:
    """Add and update people from a sheet (.xlsx or .csv): every row is checked, then all or nothing.

    Existing logins are updated (name, unit, roles, phone, e-mail; not the password); new
    people get a generated password, shown once.
    """
    if passwords_out is not None and passwords_out.exists():
        fail(f"{passwords_out} exists: name a new file for the passwords")
    with failures():
        rows = read_people_sheet(file)
        try:
            with found.unit_of_work() as session:
                actor = admin_login(session, actor_login)
                plan = check_people_sheet(session, rows, add_units=add_units)
                if dry_run:
                    show_plan(plan)
                    return
                result = apply_people_import(session, plan, actor=actor, at=found.workflow_engine.clock())
                if passwords_out is not None and result.added:
                    write_passwords(passwords_out, result)  # before the commit: a failed write adds no one
        except PeopleImportError as exc:
            for error in exc.errors:
                click.echo(error, err=True)
            fail(f"{len(exc.errors)} bad row(s) in {file.name}; nothing was imported")
    show_result(result, passwords_out)


def show_plan(plan: PeopleImportPlan) -> None:
    """What an import would do, for ``--dry-run``."""
    for code, name in plan.new_units:
        click.echo(f"new unit: {code} {name}")
    for p in plan.additions:
        click.echo(f"add: {p.login} {p.name}")
    for p in plan.updates:
        click.echo(f"update: {p.login} ({', '.join(p.changes)})")
    click.echo(f"people: {len(plan.additions)} to add, {len(plan.updates)} to update; "
               f"units: {len(plan.new_units)} to add (dry run: nothing was written)")


def show_result(result: PeopleImportResult, passwords_out: Path | None) -> None:
    """The units and people an import added and updated; new passwords unless written to a file."""
    for code, name in result.units_added:
        click.echo(f"unit added: {code} {name}")
    if result.added and passwords_out is None:
        click.echo("new people and their passwords (shown only now; give each person theirs):")
        table(["login", "name", "password"], [list(row) for row in result.added])
    elif result.added:
        click.echo(f"passwords of the {len(result.added)} new people written to {passwords_out}")
    for login, changed in result.updated:
        click.echo(f"updated: {login} ({', '.join(changed)})")
    if result.unchanged:
        click.echo(f"{len(result.unchanged)} existing people unchanged")
    click.echo(f"people: {len(result.added)} added, {len(result.updated)} updated; "
               f"units: {len(result.units_added)} added")


def write_passwords(path: Path, result: PeopleImportResult) -> None:
    """The new people's passwords as a UTF-8 .csv only its owner may read; never overwrites a file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["登录名", "姓名", "密码"])
        writer.writerows(result.added)


COMMANDS = [people, *units.COMMANDS]

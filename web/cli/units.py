"""``units``: the units people belong to — ``units add``, ``units list``, ``units rename``.

Registered through ``web.cli.people.COMMANDS`` (the organisation's commands live together).
"""

from __future__ import annotations

import click

from web.services import Services
from workflows.people_accounts import admin_login
from workflows.units import add_unit, rename_unit, unit_rows

from .app_context import pass_services
from .failures import failures
from .tables import table

USER_HELP = "the administrator making the change (for the audit log; 'admin' until one exists)"


@click.group()
def units() -> None:
    """Add, list and rename units (单位)."""


@units.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def add_command(found: Services, code: str, name: str, actor_login: str) -> None:
    """Add a unit with a short CODE (letters, digits, . _ -) and its full NAME."""
    with failures(), found.unit_of_work() as session:
        unit = add_unit(session, code, name, actor=admin_login(session, actor_login),
                        at=found.workflow_engine.clock())
        line = f"unit {unit.code} added: {unit.name}"
    click.echo(line)


@units.command("list")
@pass_services
def list_command(found: Services) -> None:
    """List units: code, name and number of active people."""
    with failures(), found.unit_of_work() as session:
        rows = [[u.code, u.name, str(u.active_people)] for u in unit_rows(session)]
    table(["code", "name", "active people"], rows)


@units.command("rename")
@click.argument("code")
@click.argument("new_name")
@click.option("--user", "actor_login", default="admin", show_default=True, help=USER_HELP)
@pass_services
def rename_command(found: Services, code: str, new_name: str, actor_login: str) -> None:
    """Give the unit with CODE a new name."""
    with failures(), found.unit_of_work() as session:
        unit = rename_unit(session, code, new_name, actor=admin_login(session, actor_login),
                           at=found.workflow_engine.clock())
        line = f"unit {unit.code} renamed: {unit.name}"
    click.echo(line)


COMMANDS = [units]

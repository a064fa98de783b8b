"""``add-person``: someone who can sign in and act, so a database without the demo can be used."""

from __future__ import annotations

import click

from web.services import Services
from workflows.errors import NotFoundError
from workflows.models import Role
from workflows.people import create_person, unit_by_code

from .app_context import pass_services
from .failures import failures


@click.command("add-person")
@click.argument("login")
@click.option("--name", required=True, help="the person's full name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]),
              help="a role (repeat for several)")
@click.option("--unit", "unit_code", help="code of the person's unit")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="the sign-in password (asked for when not given)")
@pass_services
def add_person(found: Services, login: str, name: str, roles: tuple[str, ...], unit_code: str | None,
               password: str) -> None:
    """Add a person who can sign in and act (e.g. the first administrator: --role admin)."""
    with failures(), found.unit_of_work() as session:
        unit = unit_by_code(session, unit_code) if unit_code else None
        if unit_code and unit is None:
            raise NotFoundError(f"no unit with code '{unit_code}'")
        person = create_person(session, login=login, name=name, password=password, roles=roles, unit=unit)
        line = f"person {person.login} added: {', '.join(sorted(r.value for r in person.roles))}"
    click.echo(line)


COMMANDS = [add_person]

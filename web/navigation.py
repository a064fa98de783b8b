"""Which sections a person sees in the header, decided by role (templates only render the list)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from workflows.models import Person, Role

from .auth import current_person_or_none

# Section key → roles that see it; ``None``: everyone signed in.
_SECTIONS: tuple[tuple[str, frozenset[Role] | None], ...] = (
    ("inbox", frozenset({Role.OFFICER, Role.LEADER, Role.SUPERVISION})),
    ("ledger", None),
    ("admin", frozenset({Role.ADMIN})),
)


@dataclass(frozen=True)
class NavItem:
    """One header entry: the text key and the URL (``None`` while the page does not exist yet)."""

    key: str
    url: str | None = None


def nav_items(person: Person) -> list[NavItem]:
    """The sections ``person`` may open, in header order."""
    roles = person.roles
    return [
        NavItem(key=f"nav.{section}") for section, allowed in _SECTIONS if allowed is None or roles & allowed
    ]


def init_app(app: Flask) -> None:
    """Give every template the signed-in person's ``nav_items``."""

    @app.context_processor
    def _nav() -> dict[str, list[NavItem]]:
        person = current_person_or_none()
        return {"nav_items": nav_items(person) if person is not None else []}

"""Which sections a person sees in the header, decided by role, and the badge counting their tasks.

Templates only render the list. The badge is one count in a partial index on every page
(``engine.inbox.held_count``); the inbox page hands over the count it has already made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app, g, url_for
from sqlalchemy.exc import SQLAlchemyError

from engine.inbox import held_count
from workflows.models import Person, Role
from workflows.people import actor_for

from .auth import current_person_or_none
from .db_session import get_session

log = logging.getLogger(__name__)

# The roles that work on tasks, and so have an inbox.
INBOX_ROLES = frozenset({Role.OFFICER, Role.LEADER, Role.SUPERVISION})
# Where a page that already counted the person's open tasks leaves the number (``flask.g``).
BADGE_KEY = "rectiflow_open_task_count"

# Section key → (roles that see it, ``None``: everyone signed in; endpoint, ``None``: not built yet).
_SECTIONS: tuple[tuple[str, frozenset[Role] | None, str | None], ...] = (
    ("inbox", INBOX_ROLES, "inbox.index"),
    ("ledger", None, "ledger.index"),
    ("dashboard", frozenset({Role.LEADER, Role.SUPERVISION, Role.ADMIN}), "dashboard.index"),
    ("import", frozenset({Role.SUPERVISION, Role.ADMIN}), "imports.index"),
    ("publish", frozenset({Role.SUPERVISION, Role.ADMIN}), "public.manage"),
    ("admin", frozenset({Role.ADMIN}), "admin.index"),
)


@dataclass(frozen=True)
class NavItem:
    """One header entry: the text key, the URL (``None`` while the page does not exist yet) and a count."""

    key: str
    url: str | None = None
    badge: int | None = None


def nav_items(person: Person, *, open_tasks: int | None = None) -> list[NavItem]:
    """The sections ``person`` may open, in header order; the inbox carries ``open_tasks``."""
    roles = person.roles
    return [
        NavItem(key=f"nav.{section}", url=url_for(endpoint) if endpoint in current_app.view_functions else None,
                badge=open_tasks if section == "inbox" else None)
        for section, allowed, endpoint in _SECTIONS
        if allowed is None or roles & allowed
    ]


def open_task_count(person: Person) -> int | None:
    """How many open tasks ``person`` holds (``None`` for people without an inbox)."""
    if not person.roles & INBOX_ROLES:
        return None
    counted: int | None = g.get(BADGE_KEY)
    if counted is None:
        counted = held_count(get_session(), actor_for(person))
        setattr(g, BADGE_KEY, counted)
    return counted


def init_app(app: Flask) -> None:
    """Give every template the signed-in person's ``nav_items``."""

    @app.context_processor
    def _nav() -> dict[str, list[NavItem]]:
        person = current_person_or_none()
        if person is None:
            return {"nav_items": []}
        try:
            badge = open_task_count(person)
        except SQLAlchemyError:  # an error page after a failed commit: the badge must not hide it
            log.warning("counting open tasks for the badge failed", exc_info=True)
            badge = None
        return {"nav_items": nav_items(person, open_tasks=badge)}

"""Server-side sign-in sessions: a random token per sign-in, ended by logout or a password change.

Why rows rather than a session version on ``Person``: a version ends every
session of the person at once, so logging out on one computer would log out
the others, and a copied cookie stays valid until something bumps the number.
A row per sign-in ends exactly the session that logs out, lets a password
change or deactivation end all of them, and gives sessions an age the server
can enforce. The browser's (signed) cookie holds only the token; the table
holds its SHA-256, so a read of the database yields no usable cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import Person, UserSession

TOKEN_BYTES = 32


def start_session(session: Session, person: Person, *, at: datetime, max_age: timedelta) -> str:
    """Record a new sign-in of ``person`` and return its token (for the session cookie).

    Sessions older than ``max_age`` (of anyone) are purged here, so the table does not
    keep every browser that was closed without logging out.
    """
    session.execute(delete(UserSession).where(UserSession.created_at <= at - max_age))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(UserSession(token_hash=_hash(token), person_id=person.id, created_at=at))
    session.flush()
    return token


def person_for_session(session: Session, token: str, *, at: datetime, max_age: timedelta) -> Person | None:
    """The active person signed in under ``token``, or ``None`` if it was ended, expired or never existed."""
    person = session.scalar(
        select(Person)
        .join(UserSession, UserSession.person_id == Person.id)
        .where(UserSession.token_hash == _hash(token), UserSession.created_at > at - max_age)
    )
    if person is None or not person.active:
        return None
    return person


def end_session(session: Session, token: str) -> None:
    """End the sign-in named by ``token`` (logout); an unknown token is already ended."""
    session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))


def end_all_sessions(session: Session, person: Person) -> int:
    """End every sign-in of ``person`` (password change, deactivation); returns how many were open."""
    result = session.execute(delete(UserSession).where(UserSession.person_id == person.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

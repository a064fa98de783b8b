"""Personal API tokens: create (the plaintext shown once), list, revoke, and who a token speaks for.

Only the SHA-256 of a token is stored, so a copy of the database opens nothing. A token acts as its
person with exactly that person's rights; revoking it, or deactivating the person, ends it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import Actor

from .errors import Message, NotFoundError, ValidationError
from .models import ApiToken, Person, Role

LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_PREFIX = "rf_"  # tells a Rectiflow token apart in a config file or a leaked log
PREFIX_LENGTH = 10  # characters of the token kept in clear, to tell tokens apart in a list
MAX_NAME = 100


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, person: Person, name: str, *, actor: Actor, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``person`` named ``name``; returns the row and the plaintext (shown once, never stored)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(Message("api_tokens.name_required", "a token needs a name"))
    if len(name) > MAX_NAME:
        raise ValidationError(Message("api_tokens.name_too_long", "a token's name has at most {max} characters",
                                      {"max": MAX_NAME}))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(person_id=person.id, name=name, token_hash=hash_token(plaintext),
                     prefix=plaintext[:PREFIX_LENGTH], created_by=actor.key, created_at=now)
    session.add(token)
    session.flush()
    return token, plaintext


def list_tokens(session: Session, person: Person) -> list[ApiToken]:
    """``person``'s tokens that still work, oldest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.person_id == person.id,
                                                       ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, *, actor: Actor, now: datetime) -> ApiToken:
    """Revoke a token: its owner's own, or anyone's for an administrator. Any other is ``NotFoundError``
    (the same answer as a token that does not exist, so ids reveal nothing)."""
    token = session.get(ApiToken, token_id)
    owner = session.get(Person, token.person_id) if token is not None else None
    if token is None or token.revoked_at is not None or owner is None or not _may_manage(actor, owner):
        raise NotFoundError(Message("api_tokens.not_found", "no such token"))
    token.revoked_at, token.revoked_by = now, actor.key
    session.flush()
    return token


def person_for_token(session: Session, plaintext: str, *, now: datetime) -> Person | None:
    """The active person a live token speaks for (and notes its use), else None."""
    if not plaintext or len(plaintext) > 200:
        return None
    # The token and its person (with the unit) in one round trip: this runs on every API request.
    found = session.execute(_TOKEN_AND_PERSON, {"token_hash": hash_token(plaintext)}).one_or_none()
    if found is None:
        return None
    token, person = found
    if token.revoked_at is not None or not person.active:
        return None
    # Noted at most once a minute: a client polling the API must not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return person


_TOKEN_AND_PERSON = (select(ApiToken, Person).join(Person, Person.id == ApiToken.person_id)
                     .where(ApiToken.token_hash == bindparam("token_hash")))


def _may_manage(actor: Actor, owner: Person) -> bool:
    return actor.key == owner.login or Role.ADMIN.value in actor.groups
